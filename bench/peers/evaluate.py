#!/usr/bin/env python3
"""One evaluator for chatrec and its peers.

Reads the split (train.tsv, test.tsv) and any number of top-N files
(`user_id  item_id  rank  score`) and rating-prediction files
(`user_id  item_id  prediction`), and computes, with one implementation for every
system:

  ranking (full ranking, binary relevance: every test interaction of a user is relevant)
    Precision@k  hits / k
    Recall@k     hits / |rel|
    NDCG@k       DCG with 1/log2(rank+1) gains, IDCG over min(k, |rel|) ideal hits
    MAP@k        sum_{i<=k} P@i * rel_i / min(k, |rel|)      (as RecBole computes it)
    MRR@k        1 / rank of the first hit within k (0 without a hit)
    Hit@k        1 if any hit within k
    Coverage@10  distinct items in the top-10 lists of the evaluated users / items in train
  rating prediction
    RMSE, MAE over the (user, item) pairs of test.tsv

Ranking metrics are averaged over the users with at least one test interaction. A user
without a list (or with a short list) simply scores the missing positions as misses.
Relevant items that never appear in train stay relevant (no system can recommend them,
so the ceiling is the same for everyone). Recommended items that are in the user's own
training set are counted and reported (a correct top-N file has none).

Only the Python standard library and numpy are needed.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from collections import defaultdict

import numpy as np

RANK_METRICS = ("Precision", "Recall", "NDCG", "MAP", "MRR", "Hit")


# --------------------------------------------------------------------------- loading
def _open_tsv(path):
    f = open(path, newline="", encoding="utf-8")
    reader = csv.reader(f, delimiter="\t")
    try:
        header = next(reader)
    except StopIteration:
        f.close()
        raise SystemExit(f"{path}: empty file")
    # strip RecBole-style type suffixes ("user_id:token") if present
    header = [h.split(":")[0].strip() for h in header]
    return f, reader, header


def _col(header, path, *names):
    for n in names:
        if n in header:
            return header.index(n)
    raise SystemExit(f"{path}: missing column {names[0]!r} (header: {header})")


def load_interactions(path):
    """user -> set(items), plus the list of (user, item, rating or None)."""
    f, reader, header = _open_tsv(path)
    iu, ii = _col(header, path, "user_id"), _col(header, path, "item_id")
    ir = header.index("rating") if "rating" in header else None
    by_user = defaultdict(set)
    rows = []
    with f:
        for row in reader:
            if not row:
                continue
            u, i = row[iu], row[ii]
            r = float(row[ir]) if ir is not None and row[ir] != "" else None
            by_user[u].add(i)
            rows.append((u, i, r))
    return by_user, rows


def load_topk(path):
    """user -> list of items in rank order (ties in rank keep file order)."""
    f, reader, header = _open_tsv(path)
    iu, ii = _col(header, path, "user_id"), _col(header, path, "item_id")
    ik = header.index("rank") if "rank" in header else None
    lists = defaultdict(list)
    with f:
        for n, row in enumerate(reader):
            if not row:
                continue
            rank = int(row[ik]) if ik is not None else n
            lists[row[iu]].append((rank, n, row[ii]))
    return {u: [it for _, _, it in sorted(v)] for u, v in lists.items()}


def load_pred(path):
    f, reader, header = _open_tsv(path)
    iu, ii = _col(header, path, "user_id"), _col(header, path, "item_id")
    ip = _col(header, path, "prediction", "score", "rating")
    out = {}
    with f:
        for row in reader:
            if row:
                out[(row[iu], row[ii])] = float(row[ip])
    return out


# --------------------------------------------------------------------------- metrics
def ranking_metrics(train_by_user, test_by_user, recs, ks, catalog_size=None,
                    coverage_k=10):
    """Full-ranking metrics of one system.

    train_by_user, test_by_user: dict user -> set(items); recs: dict user -> ranked list.
    Returns (metrics dict, diagnostics dict).
    """
    ks = sorted(set(int(k) for k in ks))
    kmax = max(ks + [coverage_k])
    users = sorted(u for u, items in test_by_user.items() if items)
    n = len(users)
    hits = np.zeros((n, kmax), dtype=bool)
    nrel = np.zeros(n, dtype=np.float64)
    leaked = dup = missing_users = short_lists = 0
    covered = set()
    for row, u in enumerate(users):
        rel = test_by_user[u]
        nrel[row] = len(rel)
        lst = recs.get(u)
        if lst is None:
            missing_users += 1
            continue
        seen_train = train_by_user.get(u, ())
        seen = set()
        pos = 0
        for it in lst:
            if it in seen:  # a duplicate occupies no position
                dup += 1
                continue
            seen.add(it)
            if it in seen_train:
                leaked += 1
            if pos < kmax:
                hits[row, pos] = it in rel
                if pos < coverage_k:
                    covered.add(it)
            pos += 1
        if pos < kmax:
            short_lists += 1

    metrics = {}
    disc = 1.0 / np.log2(np.arange(2, kmax + 2))
    cum_hits = np.cumsum(hits, axis=1)
    prec_at = cum_hits / np.arange(1, kmax + 1)
    first_hit = np.where(hits.any(axis=1), hits.argmax(axis=1) + 1, 0)
    for k in ks:
        h = hits[:, :k]
        nh = cum_hits[:, k - 1]
        denom = np.minimum(nrel, k)
        dcg = (h * disc[:k]).sum(axis=1)
        idcg = np.array([disc[: int(m)].sum() for m in denom])
        ap = (prec_at[:, :k] * h).sum(axis=1) / denom
        rr = np.where((first_hit > 0) & (first_hit <= k), 1.0 / np.maximum(first_hit, 1), 0.0)
        metrics[f"Precision@{k}"] = float(np.mean(nh / k)) if n else 0.0
        metrics[f"Recall@{k}"] = float(np.mean(nh / nrel)) if n else 0.0
        metrics[f"NDCG@{k}"] = float(np.mean(dcg / idcg)) if n else 0.0
        metrics[f"MAP@{k}"] = float(np.mean(ap)) if n else 0.0
        metrics[f"MRR@{k}"] = float(np.mean(rr)) if n else 0.0
        metrics[f"Hit@{k}"] = float(np.mean(nh > 0)) if n else 0.0
    if catalog_size:
        metrics[f"Coverage@{coverage_k}"] = len(covered) / catalog_size
    diag = {
        "users_evaluated": n,
        "users_without_list": missing_users,
        "users_with_short_list": short_lists,
        "recommended_train_items": leaked,
        "duplicate_items": dup,
    }
    return metrics, diag


def rating_metrics(test_rows, preds):
    err = []
    missing = 0
    for u, i, r in test_rows:
        if r is None:
            continue
        p = preds.get((u, i))
        if p is None or math.isnan(p):
            missing += 1
            continue
        err.append(p - r)
    e = np.asarray(err, dtype=np.float64)
    m = {
        "RMSE": float(np.sqrt(np.mean(e * e))) if len(e) else float("nan"),
        "MAE": float(np.mean(np.abs(e))) if len(e) else float("nan"),
    }
    return m, {"pairs_scored": int(len(e)), "pairs_missing": missing}


# --------------------------------------------------------------------------- output
def _fmt(v, nd=4):
    if v is None:
        return ""
    if isinstance(v, float):
        if math.isnan(v):
            return "n/a"
        return f"{v:.{nd}f}"
    return str(v)


def markdown_tables(result, ks, timings=None):
    out = []
    rank = result.get("ranking", {})
    timings = timings or {}
    if rank:
        k_main = 10 if 10 in ks else ks[len(ks) // 2]
        cols = [f"{m}@{k}" for k in ks for m in ("NDCG", "Recall", "Precision")]
        cols += [f"MAP@{k_main}", f"MRR@{k_main}", f"Hit@{k_main}", "Coverage@10"]
        tcols = [("fit_seconds", "fit s"), ("recommend_seconds", "rec-all s"),
                 ("total_seconds", "fit+rec s"), ("process_wall_seconds", "process s"),
                 ("peak_rss_mb", "peak RSS MB")]
        tcols = [c for c in tcols if any(c[0] in timings.get(n, {}) for n in rank)]
        out.append("| system | " + " | ".join(cols + [c[1] for c in tcols]) + " |")
        out.append("|---" * (1 + len(cols) + len(tcols)) + "|")
        order = sorted(rank, key=lambda n: -rank[n]["metrics"].get(f"NDCG@{k_main}", 0))
        for name in order:
            m = rank[name]["metrics"]
            t = timings.get(name, {})
            cells = [_fmt(m.get(c)) for c in cols]
            cells += [_fmt(t.get(c[0]), 2 if c[0] != "peak_rss_mb" else 0) for c in tcols]
            out.append(f"| {name} | " + " | ".join(cells) + " |")
        warn = [(n, r["diagnostics"]) for n, r in rank.items()
                if r["diagnostics"]["recommended_train_items"] or r["diagnostics"]["duplicate_items"]
                or r["diagnostics"]["users_without_list"]]
        if warn:
            out.append("")
            for n, d in warn:
                out.append(f"- **{n}**: {d['recommended_train_items']} recommended items were in "
                           f"the user's training set, {d['duplicate_items']} duplicates, "
                           f"{d['users_without_list']} evaluated users without a list")
    pred = result.get("rating", {})
    if pred:
        if out:
            out.append("")
        tcols = [("fit_seconds", "fit s"), ("predict_seconds", "predict s"),
                 ("process_wall_seconds", "process s"), ("peak_rss_mb", "peak RSS MB")]
        tcols = [c for c in tcols if any(c[0] in timings.get(n, {}) for n in pred)]
        heads = ["system", "RMSE", "MAE", "pairs scored", "pairs missing"] + [c[1] for c in tcols]
        out.append("| " + " | ".join(heads) + " |")
        out.append("|---" * (5 + len(tcols)) + "|")
        for name in sorted(pred, key=lambda n: pred[n]["metrics"]["RMSE"]):
            m, d = pred[name]["metrics"], pred[name]["diagnostics"]
            t = timings.get(name, {})
            cells = [_fmt(m["RMSE"]), _fmt(m["MAE"]), str(d["pairs_scored"]), str(d["pairs_missing"])]
            cells += [_fmt(t.get(c[0]), 2 if c[0] != "peak_rss_mb" else 0) for c in tcols]
            out.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def _named(specs, flag):
    out = []
    for s in specs or []:
        if "=" not in s:
            raise SystemExit(f"{flag} expects NAME=FILE, got {s!r}")
        name, path = s.split("=", 1)
        out.append((name, path))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train", required=True)
    ap.add_argument("--test", required=True)
    ap.add_argument("--k", default="5,10,20", help="comma-separated cut-offs")
    ap.add_argument("--topk", nargs="*", action="extend", default=[], metavar="NAME=FILE")
    ap.add_argument("--pred", nargs="*", action="extend", default=[], metavar="NAME=FILE")
    ap.add_argument("--timings", nargs="*", action="extend", default=[], metavar="FILE",
                    help="JSON {name: {fit_seconds, recommend_seconds, peak_rss_mb, ...}} "
                         "whose columns are added to the Markdown table")
    ap.add_argument("--json", help="write all metrics and diagnostics as JSON")
    ap.add_argument("--markdown", help="write the Markdown tables to this file")
    args = ap.parse_args(argv)

    ks = sorted(set(int(k) for k in args.k.split(",") if k.strip()))
    train_by_user, _ = load_interactions(args.train)
    test_by_user, test_rows = load_interactions(args.test)
    catalog = set()
    for items in train_by_user.values():
        catalog |= items
    result = {
        "split": {
            "train": args.train, "test": args.test,
            "train_interactions": sum(len(v) for v in train_by_user.values()),
            "test_interactions": len(test_rows),
            "users_with_test_items": sum(1 for v in test_by_user.values() if v),
            "train_items": len(catalog),
            "test_items_not_in_train": len({i for _, i, _ in test_rows} - catalog),
        },
        "k": ks,
        "ranking": {},
        "rating": {},
    }
    for name, path in _named(args.topk, "--topk"):
        m, d = ranking_metrics(train_by_user, test_by_user, load_topk(path), ks,
                               catalog_size=len(catalog))
        if d["recommended_train_items"]:
            print(f"WARNING: {name}: {d['recommended_train_items']} recommended items are in "
                  f"the user's training set", file=sys.stderr)
        if d["users_without_list"]:
            print(f"WARNING: {name}: {d['users_without_list']} evaluated users have no list",
                  file=sys.stderr)
        result["ranking"][name] = {"file": path, "metrics": m, "diagnostics": d}
    for name, path in _named(args.pred, "--pred"):
        m, d = rating_metrics(test_rows, load_pred(path))
        if d["pairs_missing"]:
            print(f"WARNING: {name}: {d['pairs_missing']} test pairs have no prediction",
                  file=sys.stderr)
        result["rating"][name] = {"file": path, "metrics": m, "diagnostics": d}

    timings = {}
    for path in args.timings:
        with open(path) as f:
            t = json.load(f)
        timings.update(t.get("models", t))
    md = markdown_tables(result, ks, timings)
    print(md, end="")
    if args.markdown:
        with open(args.markdown, "w") as f:
            s = result["split"]
            f.write(f"Split: {s['train_interactions']} train / {s['test_interactions']} test "
                    f"interactions, {s['users_with_test_items']} users evaluated, "
                    f"{s['train_items']} items in train.\n\n")
            f.write(md)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == "__main__":
    main()
