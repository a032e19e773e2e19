#!/usr/bin/env python3
"""Crash safety of `chatrec serve`: is every acknowledged feedback write still there after a
SIGKILL?

    python3 bench/serve/crash_safety.py --bin target/release/chatrec --data DATA_DIR \\
        --store sqlite:///tmp/crash.db --rounds 3 --seconds 5
    python3 bench/serve/crash_safety.py --bin target/release/chatrec --data DATA_DIR \\
        --store postgres://postgres@127.0.0.1:5432/test --rounds 3 --seconds 5

The contract (docs/.api-contract-draft.md) says POST /feedback is "durable when
acknowledged": a 201 with ids means the events survive anything, a crash included. This
script checks exactly that, on whichever backend --store names:

  1. start `chatrec serve --listen 127.0.0.1:PORT --data DATA --store STORE --admin-key K`
     on a free port and wait for GET /health/ready (up to --ready-timeout s, 180 by default:
     the first start on an empty store imports MovieLens-100K and trains);
  2. per round: create a fresh writer user (PUT /users, id crash-writer-<uuid>), then run
     --writers threads (8) that each POST /feedback one "view" event at a time (item ids
     cycling over "1".."1682", a unique timestamp_ms per event) and record every event the
     server acknowledged (201 with one id);
  3. after --seconds, SIGKILL the server while writes are in flight, restart it on the same
     store, wait until ready, read GET /users/{writer}/feedback and compare:
       acked                 events answered 201 with an id
       found                 acked events present after the restart (same id, item, time)
       lost                  acked events missing (or changed): must be 0
       unacked-but-present   events whose answer never arrived (killed mid-request) but
                             that were committed: allowed, the client could not know
       in-flight             requests that died with the connection at the kill
     The restarted server is the one the next round writes to and kills, so later rounds
     also crash a server that itself recovered from a crash.

Exit status 1 if any acknowledged event was lost (or a round acknowledged nothing), 2 on a
setup failure (server does not start, ...). Server output goes to a log file per start in a
temporary folder, whose tail is printed on failure (kept with --keep-logs).

The store is used as given. The server owns its schema, so nothing is dropped: each round
writes to its own new user, which is deleted after a passing run (keep it with --keep-users).
Writes use an admin key made up for the run (--admin-key K is passed to the server).
Everything stays on 127.0.0.1, bounded by --rounds and --seconds.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from urllib.parse import quote, urlencode

N_ITEMS = 1682  # MovieLens-100K item ids are "1".."1682"


class SetupError(Exception):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(port: int, method: str, path: str, body=None, key: str | None = None, timeout: float = 60):
    """One request on a fresh connection: (status, headers, parsed JSON or raw text)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if key:
            headers["Authorization"] = f"Bearer {key}"
        conn.request(method, path, data, headers)
        resp = conn.getresponse()
        raw = resp.read()
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = raw.decode("utf-8", "replace")
        return resp.status, resp.headers, payload
    finally:
        conn.close()


class Server:
    """One `chatrec serve` process at a time, on the same store, restarted on a new port."""

    def __init__(self, args, admin_key: str, logdir: str):
        self.args = args
        self.admin_key = admin_key
        self.logdir = logdir
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.starts = 0
        self.logs: list[str] = []

    def start(self) -> None:
        self.starts += 1
        self.port = free_port()
        log_path = os.path.join(self.logdir, f"server-{self.starts}.log")
        self.logs.append(log_path)
        cmd = [
            self.args.bin, "serve",
            "--listen", f"127.0.0.1:{self.port}",
            "--data", self.args.data,
            "--store", self.args.store,
            "--admin-key", self.admin_key,
        ] + list(self.args.server_arg)
        with open(log_path, "wb") as log:
            log.write(("$ " + " ".join(cmd) + "\n").encode())
            log.flush()
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float) -> float:
        """Seconds until GET /health/ready answered 200."""
        t0 = time.monotonic()
        last = "no answer"
        while time.monotonic() - t0 < timeout:
            if self.proc.poll() is not None:
                raise SetupError(f"server exited with status {self.proc.returncode} before it was ready")
            try:
                status, _, payload = call(self.port, "GET", "/health/ready", timeout=5)
                if status == 200:
                    return time.monotonic() - t0
                last = f"{status} {payload}"
            except OSError as e:
                last = str(e)
            time.sleep(0.25)
        raise SetupError(f"not ready after {timeout:.0f} s (last answer: {last})")

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()

    def show_logs(self, lines: int = 60) -> None:
        for path in self.logs:
            with open(path, "rb") as f:
                tail = f.read().decode("utf-8", "replace").splitlines()[-lines:]
            print(f"---- {path} (last {len(tail)} lines)", file=sys.stderr)
            for line in tail:
                print("    " + line, file=sys.stderr)


class Writers:
    """--writers threads posting one feedback event per request until the server dies."""

    def __init__(self, port: int, key: str, user_id: str, n_threads: int):
        self.port = port
        self.key = key
        self.user_id = user_id
        self.n_threads = n_threads
        self.lock = threading.Lock()
        self.seq = 0
        self.base_ms = int(time.time() * 1000)
        self.stop = threading.Event()
        self.acked: list[tuple[int, dict]] = []   # (id, event) answered 201
        self.unacked: list[dict] = []             # sent, no 201 seen (error, kill, other status)
        self.in_flight = 0                        # connection died under a request after the kill
        self.statuses: dict[str, int] = {}
        self.samples: list[str] = []              # a few unexpected answers, for the report
        self.killed = threading.Event()

    def next_event(self) -> dict:
        with self.lock:
            seq = self.seq
            self.seq += 1
        return {
            "user_id": self.user_id,
            "item_id": str(seq % N_ITEMS + 1),
            "kind": "view",
            "timestamp_ms": self.base_ms + seq,  # unique per event: the event's identity
        }

    def note(self, status: str, sample: str | None = None) -> None:
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if sample and len(self.samples) < 5:
                self.samples.append(sample)

    def run_thread(self) -> None:
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.key}"}
        conn = None
        while not self.stop.is_set():
            event = self.next_event()
            body = json.dumps({"events": [event]}).encode()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                conn.request("POST", "/feedback", body, headers)
                resp = conn.getresponse()
                raw = resp.read()
            except (OSError, http.client.HTTPException) as e:
                if conn is not None:
                    conn.close()
                    conn = None
                with self.lock:
                    self.unacked.append(event)
                if self.killed.is_set():
                    with self.lock:
                        self.in_flight += 1
                    self.note("connection lost at kill")
                    return
                self.note("connection error", f"{type(e).__name__}: {e}")
                time.sleep(0.05)
                continue
            if resp.status == 201:
                try:
                    ids = json.loads(raw)["ids"]
                except (ValueError, KeyError, TypeError):
                    ids = None
                if isinstance(ids, list) and len(ids) == 1 and isinstance(ids[0], (int, str)):
                    with self.lock:
                        self.acked.append((ids[0], event))
                    self.note("201")
                else:
                    with self.lock:
                        self.unacked.append(event)
                    self.note("201 without one id", raw[:200].decode("utf-8", "replace"))
            else:
                with self.lock:
                    self.unacked.append(event)
                self.note(str(resp.status), f"{resp.status} {raw[:200].decode('utf-8', 'replace')}")
                if resp.status == 429:
                    try:
                        wait = float(resp.headers.get("Retry-After", "1"))
                    except ValueError:
                        wait = 1.0
                    self.stop.wait(min(max(wait, 0.05), 5.0))
            if resp.will_close and conn is not None:
                conn.close()
                conn = None
        if conn is not None:
            conn.close()


def list_feedback(port: int, key: str, user_id: str) -> list[dict]:
    """Every feedback event of a user. The contract shows one unpaginated list; should the
    answer carry a `next_after` cursor, it is followed (as for GET /items)."""
    events: list[dict] = []
    after = None
    for _ in range(10_000):
        path = f"/users/{quote(user_id, safe='')}/feedback"
        if after is not None:
            path += "?" + urlencode({"after": after})
        status, _, payload = call(port, "GET", path, key=key)
        if status != 200 or not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
            raise SetupError(f"GET {path}: {status} {str(payload)[:300]}")
        events.extend(payload["events"])
        after = payload.get("next_after")
        if after is None or not payload["events"]:
            return events
    raise SetupError("GET /users/{id}/feedback: the next_after cursor never ends")


def compare(writers: Writers, events: list[dict]) -> dict:
    by_id = {}
    duplicates = 0
    for e in events:
        key = str(e.get("id"))
        if key in by_id:
            duplicates += 1
        by_id[key] = e
    found = lost = changed = 0
    missing_examples = []
    acked_ids = set()
    for event_id, sent in writers.acked:
        acked_ids.add(str(event_id))
        stored = by_id.get(str(event_id))
        if stored is None:
            lost += 1
            if len(missing_examples) < 5:
                missing_examples.append(f"id {event_id} {sent}")
        elif str(stored.get("item_id")) != sent["item_id"] or stored.get("timestamp_ms") != sent["timestamp_ms"] \
                or stored.get("kind") != sent["kind"]:
            changed += 1
            if len(missing_examples) < 5:
                missing_examples.append(f"id {event_id} sent {sent} stored {stored}")
        else:
            found += 1
    unacked_times = {e["timestamp_ms"] for e in writers.unacked}
    acked_times = {sent["timestamp_ms"] for _, sent in writers.acked}
    unacked_present = unknown = 0
    for key, e in by_id.items():
        if key in acked_ids:
            continue
        t = e.get("timestamp_ms")
        if t in unacked_times:
            unacked_present += 1
        elif t in acked_times:
            duplicates += 1  # an acknowledged event stored twice under another id
        else:
            unknown += 1
    return {
        "acked": len(writers.acked),
        "found": found,
        "lost": lost + changed,
        "changed": changed,
        "unacked_present": unacked_present,
        "unacked": len(writers.unacked),
        "in_flight": writers.in_flight,
        "duplicates": duplicates,
        "unknown": unknown,
        "stored": len(events),
        "examples": missing_examples,
    }


def run_round(n: int, server: Server, args, admin_key: str) -> dict:
    user_id = f"crash-writer-{uuid.uuid4()}"
    status, _, payload = call(server.port, "PUT", "/users", {"users": [{"id": user_id}]}, key=admin_key)
    if status not in (200, 201):
        raise SetupError(f"PUT /users: {status} {payload}")

    writers = Writers(server.port, admin_key, user_id, args.writers)
    threads = [threading.Thread(target=writers.run_thread, daemon=True) for _ in range(args.writers)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(args.seconds)
    writers.killed.set()  # before the kill: an error from now on is the kill's
    server.kill()         # SIGKILL with requests in flight
    writers.stop.set()
    write_s = time.monotonic() - t0
    for t in threads:
        t.join(timeout=60)
    if any(t.is_alive() for t in threads):
        raise SetupError("a writer thread did not end after the kill")

    server.start()
    ready_s = server.wait_ready(args.ready_timeout)
    events = list_feedback(server.port, admin_key, user_id)
    result = compare(writers, events)
    result.update(round=n, user_id=user_id, acks_per_s=len(writers.acked) / write_s, restart_s=ready_s,
                  statuses=dict(sorted(writers.statuses.items())), samples=writers.samples)
    return result


COLUMNS = [("round", "round"), ("acked", "acked"), ("found", "found"), ("lost", "lost"),
           ("unacked-but-present", "unacked_present"), ("in-flight", "in_flight"),
           ("acks/s", "acks_per_s"), ("restart s", "restart_s")]


def print_table(results: list[dict], store: str) -> None:
    rows = []
    for r in results:
        rows.append([str(r["round"]), str(r["acked"]), str(r["found"]), str(r["lost"]),
                     str(r["unacked_present"]), str(r["in_flight"]), f"{r['acks_per_s']:.0f}",
                     f"{r['restart_s']:.1f}"])
    total = {k: sum(r[k] for r in results) for k in ("acked", "found", "lost", "unacked_present", "in_flight")}
    rows.append(["total", str(total["acked"]), str(total["found"]), str(total["lost"]),
                 str(total["unacked_present"]), str(total["in_flight"]), "", ""])
    headers = [h for h, _ in COLUMNS]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]
    print(f"\ncrash safety, store {store}")
    print("  ".join(h.rjust(w) for h, w in zip(headers, widths)))
    for row in rows:
        print("  ".join(c.rjust(w) for c, w in zip(row, widths)))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default="target/release/chatrec", help="the chatrec binary")
    ap.add_argument("--data", required=True, help="data folder with ml-100k/ (chatrec data fetch)")
    ap.add_argument("--store", required=True,
                    help="sqlite:///PATH.db or postgres://USER@HOST:PORT/DB, used as given")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=5.0, help="writing time before each SIGKILL")
    ap.add_argument("--writers", type=int, default=8, help="concurrent writer threads")
    ap.add_argument("--ready-timeout", type=float, default=180.0,
                    help="seconds to wait for /health/ready after each start")
    ap.add_argument("--server-arg", action="append", default=[],
                    help="extra argument for `chatrec serve` (repeat), e.g. --server-arg=--config=FILE")
    ap.add_argument("--keep-users", action="store_true", help="do not delete the writer users")
    ap.add_argument("--keep-logs", action="store_true", help="keep the server logs' folder")
    args = ap.parse_args()
    if not (os.path.isfile(args.bin) and os.access(args.bin, os.X_OK)):
        print(f"no executable {args.bin} (cargo build --release -p chatrec)", file=sys.stderr)
        return 2
    if args.rounds < 1 or args.seconds <= 0 or args.writers < 1:
        print("--rounds, --seconds and --writers must be positive", file=sys.stderr)
        return 2

    admin_key = "crash-" + uuid.uuid4().hex
    logdir = tempfile.mkdtemp(prefix="chatrec-crash-")
    server = Server(args, admin_key, logdir)
    results: list[dict] = []
    code = 0
    try:
        print(f"starting {args.bin} serve --store {args.store} (logs in {logdir})", flush=True)
        server.start()
        print(f"ready after {server.wait_ready(args.ready_timeout):.1f} s", flush=True)
        for n in range(1, args.rounds + 1):
            r = run_round(n, server, args, admin_key)
            results.append(r)
            statuses = ", ".join(f"{k}: {v}" for k, v in r["statuses"].items())
            print(f"round {n}: {r['acked']} acked, {r['found']} found, {r['lost']} lost, "
                  f"{r['unacked_present']} of {r['unacked']} unacknowledged present; answers {statuses}", flush=True)
            if r["changed"]:
                print(f"  {r['changed']} acknowledged events came back changed (counted as lost)")
            if r["duplicates"] or r["unknown"]:
                print(f"  warning: {r['duplicates']} duplicated and {r['unknown']} never-sent events stored")
            for example in r["examples"]:
                print(f"  lost: {example}")
            for sample in r["samples"]:
                print(f"  unexpected answer: {sample}")
            if r["lost"] or r["acked"] == 0:
                code = 1
        print_table(results, args.store)
        if any(r["acked"] == 0 for r in results):
            print("FAIL: a round had no acknowledged write, so it tested nothing")
        if code == 0:
            print(f"\nOK: all {sum(r['acked'] for r in results)} acknowledged events survived "
                  f"{len(results)} SIGKILLs")
            if not args.keep_users:
                for r in results:
                    call(server.port, "DELETE", f"/users/{quote(r['user_id'], safe='')}", key=admin_key)
        else:
            print(f"\nFAIL: {sum(r['lost'] for r in results)} acknowledged events lost")
    except SetupError as e:
        print(f"\nsetup failure: {e}", file=sys.stderr)
        if results:
            print_table(results, args.store)
        code = 2
    except KeyboardInterrupt:
        code = 130
    finally:
        server.stop()
        if code != 0:
            server.show_logs()
        if code != 0 or args.keep_logs:
            print(f"server logs kept in {logdir}", file=sys.stderr)
        else:
            shutil.rmtree(logdir, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
