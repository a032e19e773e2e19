#!/usr/bin/env python3
"""Run established recommender libraries on a fixed chatrec split.

For every peer this runs one subprocess (so peak memory is that model's own), which
fits the model on train.tsv only, times fit and recommend-for-all-users, and writes

  OUT/<name>.topk.tsv   user_id  item_id  rank  score     (top-N unseen items, ranking peers)
  OUT/<name>.pred.tsv   user_id  item_id  prediction      (every pair of test.tsv, rating peers)

plus OUT/timings.json, OUT/logs/<name>.log, and, after all peers, the metrics of the one
shared evaluator (evaluate.py) in OUT/results.{md,json}.

Peers (see README.md for the settings and why):
  pop-reference          own popularity baseline (training-interaction count)
  implicit-als           implicit 0.7.2 ALS, library defaults except factors=64, iterations=15
  implicit-als-tuned     same, regularization/alpha picked on a validation split of train
  implicit-bpr           implicit BPR, defaults except factors=64
  implicit-cosine        implicit CosineRecommender (K=20)
  implicit-bm25          implicit BM25Recommender (K=20, K1=1.2, B=0.75)
  recbole-ease           RecBole 1.2.1 EASE (reg_weight 250)
  recbole-itemknn        RecBole ItemKNN (k=100, shrink=0)
  recbole-bpr            RecBole BPR (embedding_size 64, --recbole-bpr-epochs epochs)
  surprise-svd, surprise-svdpp, surprise-knnbaseline, surprise-baselineonly
                         Surprise 1.1.5, defaults, rating predictions for test pairs
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

RANKING_PEERS = [
    "pop-reference",
    "implicit-als",
    "implicit-als-tuned",
    "implicit-bpr",
    "implicit-cosine",
    "implicit-bm25",
    "recbole-ease",
    "recbole-itemknn",
    "recbole-bpr",
]
RATING_PEERS = [
    "surprise-svd",
    "surprise-svdpp",
    "surprise-knnbaseline",
    "surprise-baselineonly",
]
ALL_PEERS = RANKING_PEERS + RATING_PEERS
DISPLAY = {"pop-reference": "pop (reference)"}


# =========================================================================== helpers
def rss_now_mb():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def peak_rss_mb():
    # ru_maxrss is in KiB on Linux, bytes on macOS
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / (1024.0 * 1024.0) if sys.platform == "darwin" else r / 1024.0


def read_split(path):
    import pandas as pd

    df = pd.read_csv(path, sep="\t", dtype={"user_id": str, "item_id": str},
                     keep_default_na=False)
    df.columns = [c.split(":")[0] for c in df.columns]
    return df


def natural_key(tok):
    """Sort ids numerically when they are numbers, else as strings."""
    return (0, int(tok), "") if tok.isdigit() else (1, 0, tok)


class Index:
    """Dense 0-based ids for the users and items of the training set."""

    def __init__(self, train):
        import numpy as np
        import scipy.sparse as sp

        self.users = sorted(train.user_id.unique(), key=natural_key)
        self.items = sorted(train.item_id.unique(), key=natural_key)
        self.uix = {u: k for k, u in enumerate(self.users)}
        self.iix = {i: k for k, i in enumerate(self.items)}
        rows = train.user_id.map(self.uix).to_numpy()
        cols = train.item_id.map(self.iix).to_numpy()
        m = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)),
                          shape=(len(self.users), len(self.items)))
        m.sum_duplicates()
        m.data[:] = 1.0  # binary: every interaction counts once
        self.matrix = m


def write_topk(path, users, ids, scores, item_tokens):
    """ids/scores: (n_users, N) arrays of internal item ids; ids < 0 are dropped."""
    with open(path, "w") as f:
        f.write("user_id\titem_id\trank\tscore\n")
        for u, row_ids, row_scores in zip(users, ids, scores):
            rank = 0
            for i, s in zip(row_ids, row_scores):
                if i < 0:
                    continue
                rank += 1
                f.write(f"{u}\t{item_tokens[i]}\t{rank}\t{float(s):.6g}\n")


def topn_from_scores(scores, mask_csr, n):
    """Top-n of each row of a dense score block, -inf where mask_csr has entries."""
    import numpy as np

    scores = np.array(scores, dtype=np.float64, copy=True)
    rows, cols = mask_csr.nonzero()
    scores[rows, cols] = -np.inf
    n = min(n, scores.shape[1])
    part = np.argpartition(-scores, n - 1, axis=1)[:, :n]
    ps = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-ps, axis=1, kind="stable")
    ids = np.take_along_axis(part, order, axis=1)
    sc = np.take_along_axis(ps, order, axis=1)
    ids = np.where(np.isfinite(sc), ids, -1)
    return ids, sc


def inner_split(train, frac, seed):
    """Per-user random split of the training data (for tuning only)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    keep = np.ones(len(train), dtype=bool)
    for _, idx in train.groupby("user_id", sort=False).indices.items():
        idx = rng.permutation(idx)
        n_fit = int(round(frac * len(idx)))
        if len(idx) >= 2:
            n_fit = min(max(n_fit, 1), len(idx) - 1)
        keep[idx[n_fit:]] = False
    return train[keep], train[~keep]


# =========================================================================== workers
def work_pop(args, train, test, info):
    import numpy as np

    t0 = time.perf_counter()
    ix = Index(train)
    info["prepare_seconds"] = time.perf_counter() - t0
    info["rss_before_fit_mb"] = rss_now_mb()
    t0 = time.perf_counter()
    counts = np.asarray(ix.matrix.sum(axis=0)).ravel()
    info["fit_seconds"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    # ties broken by the natural order of the item ids (ix.items is sorted that way)
    order = np.argsort(-counts, kind="stable")
    m = ix.matrix
    ids = np.full((m.shape[0], args.n), -1, dtype=np.int64)
    sc = np.zeros((m.shape[0], args.n))
    for u in range(m.shape[0]):
        seen = set(m.indices[m.indptr[u]:m.indptr[u + 1]].tolist())
        top = [i for i in order[: args.n + len(seen)] if i not in seen][: args.n]
        ids[u, : len(top)] = top
        sc[u, : len(top)] = counts[top]
    info["recommend_seconds"] = time.perf_counter() - t0
    return ix.users, ids, sc, ix.items


def _implicit_model(name, args, reg=None, alpha=None):
    if name.startswith("implicit-als"):
        from implicit.cpu.als import AlternatingLeastSquares

        return AlternatingLeastSquares(
            factors=args.factors, iterations=args.als_iterations,
            regularization=args.als_reg if reg is None else reg,
            alpha=args.als_alpha if alpha is None else alpha,
            num_threads=args.threads, random_state=args.seed,
            calculate_training_loss=False)
    if name == "implicit-bpr":
        from implicit.cpu.bpr import BayesianPersonalizedRanking

        return BayesianPersonalizedRanking(
            factors=args.factors, num_threads=args.threads, random_state=args.seed)
    if name == "implicit-cosine":
        from implicit.nearest_neighbours import CosineRecommender

        return CosineRecommender(num_threads=args.threads)
    if name == "implicit-bm25":
        from implicit.nearest_neighbours import BM25Recommender

        return BM25Recommender(num_threads=args.threads)
    raise ValueError(name)


def _implicit_recommend(model, matrix, n, batch=256):
    import numpy as np

    users = np.arange(matrix.shape[0])
    all_ids, all_sc = [], []
    for start in range(0, len(users), batch):
        u = users[start:start + batch]
        ids, sc = model.recommend(u, matrix[u], N=n, filter_already_liked_items=True)
        all_ids.append(np.asarray(ids))
        all_sc.append(np.asarray(sc))
    ids, sc = np.vstack(all_ids), np.vstack(all_sc)
    # Quirk: the item-item models pad a list with zero-score items when fewer than N items
    # score non-zero, and that padding can contain already-liked items. Drop those (-1).
    liked_returned = 0
    for r in range(ids.shape[0]):
        liked = matrix.indices[matrix.indptr[r]:matrix.indptr[r + 1]]
        bad = np.isin(ids[r], liked) & (ids[r] >= 0)
        if bad.any():
            liked_returned += int(bad.sum())
            ids[r, bad] = -1
    return ids, sc, liked_returned


def work_implicit(args, train, test, info):
    import implicit
    import threadpoolctl

    info["library"] = f"implicit {implicit.__version__}"
    info["blas"] = [{k: d.get(k) for k in ("internal_api", "num_threads")}
                    for d in threadpoolctl.threadpool_info()]
    name = args.worker
    reg = alpha = None
    if name == "implicit-als-tuned":
        reg, alpha = tune_als(args, train, info)
    t0 = time.perf_counter()
    ix = Index(train)
    info["prepare_seconds"] = time.perf_counter() - t0
    model = _implicit_model(name, args, reg, alpha)
    info["params"] = {k: v for k, v in vars(model).items()
                      if isinstance(v, (int, float, str, bool)) and not k.startswith("_")}
    info["rss_before_fit_mb"] = rss_now_mb()
    t0 = time.perf_counter()
    model.fit(ix.matrix, show_progress=False)
    info["fit_seconds"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    ids, sc, liked_returned = _implicit_recommend(model, ix.matrix, args.n)
    info["recommend_seconds"] = time.perf_counter() - t0
    info["liked_items_returned_and_dropped"] = liked_returned
    info["short_positions"] = int((ids < 0).sum())
    return ix.users, ids, sc, ix.items


def tune_als(args, train, info):
    """Pick regularization and alpha for implicit ALS on a split of the training data."""
    import evaluate

    t0 = time.perf_counter()
    fit_part, val_part = inner_split(train, 0.8, args.seed + 1)
    ix = Index(fit_part)
    val = {}
    for u, i in zip(val_part.user_id, val_part.item_id):
        val.setdefault(u, set()).add(i)
    seen = {}
    for u, i in zip(fit_part.user_id, fit_part.item_id):
        seen.setdefault(u, set()).add(i)
    grid = []
    for reg in [float(x) for x in args.tune_regs.split(",")]:
        for alpha in [float(x) for x in args.tune_alphas.split(",")]:
            model = _implicit_model("implicit-als", args, reg, alpha)
            model.fit(ix.matrix, show_progress=False)
            ids, _, _ = _implicit_recommend(model, ix.matrix, 10)
            recs = {ix.users[r]: [ix.items[i] for i in row if i >= 0]
                    for r, row in enumerate(ids)}
            m, _ = evaluate.ranking_metrics(seen, val, recs, [10])
            grid.append({"regularization": reg, "alpha": alpha, "NDCG@10": m["NDCG@10"]})
            print(f"tune als reg={reg} alpha={alpha} val NDCG@10={m['NDCG@10']:.4f}", flush=True)
    best = max(grid, key=lambda g: g["NDCG@10"])
    info["tuning"] = {"split": "per-user random 80/20 of train.tsv (test.tsv unused)",
                      "selected_by": "NDCG@10", "grid": grid, "best": best}
    info["tune_seconds"] = time.perf_counter() - t0
    return best["regularization"], best["alpha"]


def _patch_scipy_dok():
    """scipy >= 1.13 removed dok_matrix._update, which RecBole (LightGCN, NGCF, ...) calls."""
    import scipy.sparse as sp

    for cls in (sp.dok_matrix, getattr(sp, "dok_array", None)):
        if cls is not None and not hasattr(cls, "_update"):
            def _update(self, data):
                self._dict.update(data)
            cls._update = _update


def work_recbole(args, train, test, info):
    import logging

    import numpy as np
    import torch

    _patch_scipy_dok()
    import recbole
    from recbole.config import Config
    from recbole.data import create_dataset, data_preparation
    from recbole.data.interaction import Interaction
    from recbole.utils import get_model, get_trainer, init_logger, init_seed

    info["library"] = f"recbole {recbole.__version__}, torch {torch.__version__}"
    torch.set_num_threads(args.threads)
    model_name = {"recbole-ease": "EASE", "recbole-itemknn": "ItemKNN",
                  "recbole-bpr": "BPR"}[args.worker]
    work = os.path.join(args.out, "_recbole", args.worker)
    data_dir = os.path.join(work, "data")
    ds = "peer"
    os.makedirs(os.path.join(data_dir, ds), exist_ok=True)
    os.chdir(work)  # RecBole writes ./log, ./log_tensorboard, ./saved relative to cwd

    t0 = time.perf_counter()
    header = "user_id:token\titem_id:token\trating:float\ttimestamp:float\n"
    cols = ["user_id", "item_id", "rating", "timestamp"]
    # The model trains on train only. RecBole needs a validation file; it is a copy of
    # test.tsv that is never used for training or early stopping (fit gets no valid data).
    for part, df in (("train", train), ("valid", test), ("test", test)):
        with open(os.path.join(data_dir, ds, f"{ds}.{part}.inter"), "w") as f:
            f.write(header)
            df[cols].to_csv(f, sep="\t", header=False, index=False)
    cfg = {
        "data_path": data_dir,
        "dataset": ds,
        "benchmark_filename": ["train", "valid", "test"],
        "load_col": {"inter": ["user_id", "item_id"]},
        "USER_ID_FIELD": "user_id",
        "ITEM_ID_FIELD": "item_id",
        "eval_args": {"group_by": "user", "order": "RO", "split": {"RS": [0.8, 0.1, 0.1]},
                      "mode": "full"},
        "metrics": ["Recall", "MRR", "NDCG", "Hit", "Precision", "MAP"],
        "topk": [10],
        "valid_metric": "NDCG@10",
        "use_gpu": False,
        "gpu_id": "",
        "seed": args.seed,
        "reproducibility": True,
        "show_progress": False,
        "checkpoint_dir": os.path.join(work, "saved"),
        "worker": 0,
    }
    if model_name == "BPR":
        cfg["epochs"] = args.recbole_bpr_epochs
    sys.argv = sys.argv[:1]  # RecBole's Config also parses the command line
    config = Config(model=model_name, config_dict=cfg)
    init_seed(config["seed"], config["reproducibility"])
    init_logger(config)
    logging.getLogger().setLevel(logging.INFO)
    dataset = create_dataset(config)
    train_data, _valid_data, test_data = data_preparation(config, dataset)
    train_ds = train_data.dataset
    info["prepare_seconds"] = time.perf_counter() - t0
    keys = {"EASE": ("reg_weight",), "ItemKNN": ("k", "shrink"),
            "BPR": ("embedding_size", "epochs", "learning_rate", "train_batch_size",
                    "train_neg_sample_args")}[model_name]
    info["params"] = {k: config[k] for k in keys}
    info["rss_before_fit_mb"] = rss_now_mb()

    t0 = time.perf_counter()
    init_seed(config["seed"] + config["local_rank"], config["reproducibility"])
    model = get_model(config["model"])(config, train_ds).to(config["device"])
    trainer = get_trainer(config["MODEL_TYPE"], config["model"])(config, model)
    trainer.fit(train_data, None, saved=False, show_progress=False, verbose=True)
    info["fit_seconds"] = time.perf_counter() - t0
    last = max(trainer.train_loss_dict) if trainer.train_loss_dict else None
    if last is not None:
        info["final_train_loss"] = float(trainer.train_loss_dict[last])
        info["epochs_run"] = last + 1

    # Export top-N: full_sort_predict on user batches, training items masked, and items
    # without any training interaction masked too (RecBole indexes the tokens of all three
    # files, so test-only items exist inside it; the other systems cannot rank them).
    t0 = time.perf_counter()
    model.eval()
    hist = train_ds.inter_matrix(form="csr").astype(np.float32)  # internal ids, row/col 0 = [PAD]
    item_num = hist.shape[1]
    no_train = np.asarray(hist.sum(axis=0)).ravel() == 0  # includes [PAD]
    uids = np.unique(train_ds.inter_feat[train_ds.uid_field].numpy())
    all_ids, all_sc = [], []
    with torch.no_grad():
        for start in range(0, len(uids), args.recbole_batch):
            u = uids[start:start + args.recbole_batch]
            inter = Interaction({train_ds.uid_field: torch.as_tensor(u)}).to(config["device"])
            s = model.full_sort_predict(inter).view(len(u), item_num).cpu().numpy()
            s = s.astype(np.float64)
            s[:, no_train] = -np.inf
            ids, sc = topn_from_scores(s, hist[u], args.n)
            all_ids.append(ids)
            all_sc.append(sc)
    info["recommend_seconds"] = time.perf_counter() - t0
    ids, sc = np.vstack(all_ids), np.vstack(all_sc)
    user_tok = dataset.field2id_token[train_ds.uid_field]
    item_tok = dataset.field2id_token[train_ds.iid_field]
    users = [str(user_tok[u]) for u in uids]

    # RecBole's own evaluator on the test file (cross-check of evaluate.py; it does not
    # mask test-only items, so it may differ in the last decimals for BPR).
    try:
        res = trainer.evaluate(test_data, load_best_model=False, show_progress=False)
        info["recbole_native_test_metrics"] = {k: float(v) for k, v in res.items()}
    except Exception as e:  # the cross-check is optional
        info["recbole_native_test_metrics_error"] = repr(e)
    return users, ids, sc, [str(t) for t in item_tok]


def work_surprise(args, train, test, info):
    import surprise
    from surprise import SVD, BaselineOnly, Dataset, KNNBaseline, Reader, SVDpp

    info["library"] = f"scikit-surprise {surprise.__version__}"
    t0 = time.perf_counter()
    lo, hi = float(train.rating.min()), float(train.rating.max())
    data = Dataset.load_from_df(train[["user_id", "item_id", "rating"]], Reader(rating_scale=(lo, hi)))
    trainset = data.build_full_trainset()
    info["prepare_seconds"] = time.perf_counter() - t0
    algo = {
        "surprise-svd": lambda: SVD(random_state=args.seed),
        "surprise-svdpp": lambda: SVDpp(random_state=args.seed),
        "surprise-knnbaseline": lambda: KNNBaseline(
            sim_options={"name": "pearson_baseline", "user_based": False}),
        "surprise-baselineonly": lambda: BaselineOnly(),
    }[args.worker]()
    info["rss_before_fit_mb"] = rss_now_mb()
    t0 = time.perf_counter()
    algo.fit(trainset)
    info["fit_seconds"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    preds = [algo.predict(u, i) for u, i in zip(test.user_id, test.item_id)]
    info["predict_seconds"] = time.perf_counter() - t0
    info["impossible_predictions"] = sum(1 for p in preds if p.details.get("was_impossible"))
    path = os.path.join(args.out, f"{args.worker}.pred.tsv")
    with open(path, "w") as f:
        f.write("user_id\titem_id\tprediction\n")
        for p in preds:
            f.write(f"{p.uid}\t{p.iid}\t{p.est:.6f}\n")
    info["files"] = [path]


def worker_main(args):
    t_start = time.perf_counter()
    info = {"name": args.worker, "threads": args.threads, "seed": args.seed}
    import numpy as np  # noqa: F401  (import cost counted before data loading)

    args.out = os.path.abspath(args.out)
    train = read_split(args.train)
    test = read_split(args.test)
    info["rss_after_load_mb"] = rss_now_mb()
    if args.worker.startswith("surprise-"):
        work_surprise(args, train, test, info)
    else:
        if args.worker == "pop-reference":
            users, ids, sc, items = work_pop(args, train, test, info)
        elif args.worker.startswith("implicit-"):
            users, ids, sc, items = work_implicit(args, train, test, info)
        elif args.worker.startswith("recbole-"):
            users, ids, sc, items = work_recbole(args, train, test, info)
        else:
            raise SystemExit(f"unknown peer {args.worker}")
        t0 = time.perf_counter()
        path = os.path.join(args.out, f"{args.worker}.topk.tsv")
        write_topk(path, users, ids, sc, items)
        info["write_seconds"] = time.perf_counter() - t0
        info["files"] = [path]
        info["users_recommended"] = len(users)
    info["worker_seconds"] = time.perf_counter() - t_start
    info["peak_rss_mb"] = peak_rss_mb()
    with open(os.path.join(args.out, "_timing", f"{args.worker}.json"), "w") as f:
        json.dump(info, f, indent=2, default=str)


# =========================================================================== driver
def child_env(name, threads):
    env = dict(os.environ)
    if name.startswith("implicit-"):
        # implicit parallelises itself; BLAS threads inside it only oversubscribe
        env.update(OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", OMP_NUM_THREADS=str(threads))
    else:
        t = str(threads)
        env.update(OPENBLAS_NUM_THREADS=t, MKL_NUM_THREADS=t, OMP_NUM_THREADS=t)
    env["PYTHONHASHSEED"] = "0"
    env.setdefault("CUDA_VISIBLE_DEVICES", "")
    return env


def summary(args, timings, names):
    import evaluate

    train_by_user, _ = evaluate.load_interactions(args.train)
    test_by_user, test_rows = evaluate.load_interactions(args.test)
    catalog = set().union(*train_by_user.values()) if train_by_user else set()
    ks = sorted(int(k) for k in args.k.split(","))
    result = {"k": ks, "ranking": {}, "rating": {}}
    tdisp = {}
    for name in names:
        t = timings.get(name, {})
        label = DISPLAY.get(name, name)
        tdisp[label] = t
        topk = os.path.join(args.out, f"{name}.topk.tsv")
        pred = os.path.join(args.out, f"{name}.pred.tsv")
        if name in RANKING_PEERS and os.path.exists(topk) and t.get("ok"):
            m, d = evaluate.ranking_metrics(train_by_user, test_by_user,
                                            evaluate.load_topk(topk), ks,
                                            catalog_size=len(catalog))
            result["ranking"][label] = {"file": topk, "metrics": m, "diagnostics": d}
        if name in RATING_PEERS and os.path.exists(pred) and t.get("ok"):
            m, d = evaluate.rating_metrics(test_rows, evaluate.load_pred(pred))
            result["rating"][label] = {"file": pred, "metrics": m, "diagnostics": d}
    md = evaluate.markdown_tables(result, ks, tdisp)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(md)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(result, f, indent=2)
    return md


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n", 2)[2])
    ap.add_argument("--train", required=True)
    ap.add_argument("--test", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--n", type=int, default=50, help="length of each top-N list")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--only", help="comma-separated peer names (default: all)")
    ap.add_argument("--skip", help="comma-separated peer names to leave out")
    ap.add_argument("--k", default="5,10,20", help="cut-offs of the summary table")
    ap.add_argument("--timeout", type=int, default=1200, help="seconds per peer")
    ap.add_argument("--factors", type=int, default=64, help="implicit ALS and BPR factors")
    ap.add_argument("--als-iterations", type=int, default=15)
    ap.add_argument("--als-reg", type=float, default=0.01, help="implicit default 0.01")
    ap.add_argument("--als-alpha", type=float, default=1.0, help="implicit default 1.0")
    ap.add_argument("--tune-regs", default="1,10,30,100,300")
    ap.add_argument("--tune-alphas", default="1,2,5,10,20,40")
    ap.add_argument("--recbole-bpr-epochs", type=int, default=100)
    ap.add_argument("--recbole-batch", type=int, default=256, help="users per full_sort_predict")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.worker:
        return worker_main(args)

    names = ALL_PEERS
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        bad = [n for n in names if n not in ALL_PEERS]
        if bad:
            ap.error(f"unknown peers {bad}; known: {', '.join(ALL_PEERS)}")
    if args.skip:
        skip = {n.strip() for n in args.skip.split(",")}
        names = [n for n in names if n not in skip]
    os.makedirs(os.path.join(args.out, "_timing"), exist_ok=True)
    os.makedirs(os.path.join(args.out, "logs"), exist_ok=True)

    passthrough = []
    for k, v in vars(args).items():
        if k in ("only", "skip", "worker", "timeout") or v is None:
            continue
        passthrough += [f"--{k.replace('_', '-')}", str(v)]

    tpath = os.path.join(args.out, "timings.json")
    timings = {}
    if os.path.exists(tpath):  # keep earlier results of peers not rerun (--only)
        with open(tpath) as f:
            timings = json.load(f).get("models", {})
    t_all = time.perf_counter()
    for name in names:
        for stale in (f"{name}.topk.tsv", f"{name}.pred.tsv", f"_timing/{name}.json"):
            if os.path.exists(os.path.join(args.out, stale)):
                os.remove(os.path.join(args.out, stale))
        print(f"== {name} ...", flush=True)
        log = os.path.join(args.out, "logs", f"{name}.log")
        t0 = time.perf_counter()
        with open(log, "w") as lf:
            try:
                rc = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", name]
                                    + passthrough, stdout=lf, stderr=subprocess.STDOUT,
                                    env=child_env(name, args.threads),
                                    timeout=args.timeout).returncode
            except subprocess.TimeoutExpired:
                rc = "timeout"
        wall = time.perf_counter() - t0
        info = {}
        jpath = os.path.join(args.out, "_timing", f"{name}.json")
        if rc == 0 and os.path.exists(jpath):
            with open(jpath) as f:
                info = json.load(f)
        info["ok"] = rc == 0
        info["returncode"] = rc
        info["process_wall_seconds"] = wall
        if "fit_seconds" in info:
            info["total_seconds"] = info["fit_seconds"] + info.get(
                "recommend_seconds", info.get("predict_seconds", 0.0))
        timings[name] = info
        if rc == 0:
            print(f"   fit {info.get('fit_seconds', 0):.2f}s  "
                  f"{'recommend' if 'recommend_seconds' in info else 'predict'} "
                  f"{info.get('recommend_seconds', info.get('predict_seconds', 0)):.2f}s  "
                  f"peak RSS {info.get('peak_rss_mb', 0):.0f} MB  (process {wall:.1f}s)",
                  flush=True)
        else:
            print(f"   FAILED ({rc}); see {log}", flush=True)
    total = time.perf_counter() - t_all
    meta = {"train": os.path.abspath(args.train), "test": os.path.abspath(args.test),
            "n": args.n, "threads": args.threads, "seed": args.seed,
            "total_wall_seconds_this_run": total, "python": sys.version.split()[0],
            "cpu_count": os.cpu_count(),
            "models": timings}
    with open(tpath, "w") as f:
        json.dump(meta, f, indent=2, default=str)
    md = summary(args, timings, [n for n in ALL_PEERS if n in timings])
    print()
    print(md, end="")
    print(f"\ntotal wall time {total:.1f}s; files in {args.out}")
    failed = [n for n in names if not timings[n]["ok"]]
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
