#!/usr/bin/env bash
# The whole comparison in one command: split with chatrec, run the peers and chatrec on
# that split, evaluate everything with evaluate.py.
#
#   bench/peers/compare.sh --data DIR [--out DIR] [--seed S] [--venv DIR] [--chatrec BIN]
#                          [--models "m1 m2 ..."] [--rating-models "m1 ..."] [--n N]
#                          [--threads T] [--only PEERS]
#
# --models / --rating-models are chatrec registry names (check `chatrec models` or the
# registry); a model that fails is reported and left out of the table.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
DATA=""
OUT="target/peer-comparison"
SEED=42
VENV="${PEERS_VENV:-$ROOT/target/peers-venv}"
CHATREC="${CHATREC:-}"
MODELS="${CHATREC_MODELS:-pop itemknn userknn ease als bpr}"
RATING_MODELS="${CHATREC_RATING_MODELS:-baseline mf svdpp knnbaseline}"
N=50
THREADS=2
ONLY=""
while [ $# -gt 0 ]; do
    case "$1" in
        --data) DATA="$2"; shift 2 ;;
        --out) OUT="$2"; shift 2 ;;
        --seed) SEED="$2"; shift 2 ;;
        --venv) VENV="$2"; shift 2 ;;
        --chatrec) CHATREC="$2"; shift 2 ;;
        --models) MODELS="$2"; shift 2 ;;
        --rating-models) RATING_MODELS="$2"; shift 2 ;;
        --n) N="$2"; shift 2 ;;
        --threads) THREADS="$2"; shift 2 ;;
        --only) ONLY="$2"; shift 2 ;;
        -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
[ -n "$DATA" ] || { echo "--data DIR is required (the MovieLens-100K directory)" >&2; exit 2; }
if [ -z "$CHATREC" ]; then
    (cd "$ROOT" && cargo build --release -p chatrec)
    CHATREC="$ROOT/target/release/chatrec"
fi

"$HERE/setup.sh" "$VENV"
PY="$VENV/bin/python"
mkdir -p "$OUT/chatrec"
SPLIT="$OUT/split"

"$CHATREC" split --data "$DATA" --split user-ratio:0.8 --seed "$SEED" --out "$SPLIT"

PEER_ARGS=(--train "$SPLIT/train.tsv" --test "$SPLIT/test.tsv" --out "$OUT/peers"
           --n "$N" --threads "$THREADS" --seed "$SEED")
[ -n "$ONLY" ] && PEER_ARGS+=(--only "$ONLY")
"$PY" "$HERE/run_peers.py" "${PEER_ARGS[@]}" || echo "WARNING: some peers failed" >&2

EVAL_ARGS=()
TIMINGS="$OUT/chatrec/timings.json"
rm -f "$TIMINGS"
for m in $MODELS; do
    if RAYON_NUM_THREADS="$THREADS" "$PY" "$HERE/timecmd.py" "$TIMINGS" "chatrec-$m" -- \
        "$CHATREC" batch-recommend --train "$SPLIT/train.tsv" --model "$m" -n "$N" \
        --seed "$SEED" --out "$OUT/chatrec/$m.topk.tsv" --timings "$OUT/chatrec/$m.timings.json"; then
        EVAL_ARGS+=(--topk "chatrec-$m=$OUT/chatrec/$m.topk.tsv")
    else
        echo "WARNING: chatrec batch-recommend --model $m failed" >&2
    fi
done
for m in $RATING_MODELS; do
    if RAYON_NUM_THREADS="$THREADS" "$PY" "$HERE/timecmd.py" "$TIMINGS" "chatrec-$m" -- \
        "$CHATREC" batch-predict --train "$SPLIT/train.tsv" --pairs "$SPLIT/test.tsv" \
        --model "$m" --out "$OUT/chatrec/$m.pred.tsv" --timings "$OUT/chatrec/$m.timings.json"; then
        EVAL_ARGS+=(--pred "chatrec-$m=$OUT/chatrec/$m.pred.tsv")
    else
        echo "WARNING: chatrec batch-predict --model $m failed" >&2
    fi
done

# In-process fit and recommend/predict seconds, as the peers report theirs.
[ -f "$TIMINGS" ] && "$PY" "$HERE/merge_timings.py" "$TIMINGS" "$OUT/chatrec"
for f in "$OUT"/peers/*.topk.tsv; do
    [ -e "$f" ] || continue
    name="$(basename "$f" .topk.tsv)"; [ "$name" = pop-reference ] && name="pop (reference)"
    EVAL_ARGS+=(--topk "$name=$f")
done
for f in "$OUT"/peers/*.pred.tsv; do
    [ -e "$f" ] || continue
    EVAL_ARGS+=(--pred "$(basename "$f" .pred.tsv)=$f")
done
[ -f "$TIMINGS" ] && EVAL_ARGS+=(--timings "$TIMINGS")
# the peers' timings are keyed by file name; pop-reference is relabelled for the table
"$PY" - "$OUT/peers/timings.json" "$OUT/peers/timings.display.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))["models"]
d = {("pop (reference)" if k == "pop-reference" else k): v for k, v in d.items()}
json.dump({"models": d}, open(sys.argv[2], "w"), indent=2)
EOF
EVAL_ARGS+=(--timings "$OUT/peers/timings.display.json")

"$PY" "$HERE/evaluate.py" --train "$SPLIT/train.tsv" --test "$SPLIT/test.tsv" --k 5,10,20 \
    "${EVAL_ARGS[@]}" --json "$OUT/comparison.json" --markdown "$OUT/comparison.md"
echo "comparison written to $OUT/comparison.md and $OUT/comparison.json"
