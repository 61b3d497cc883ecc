"""Instructions per request of the web endpoints, counted by valgrind (callgrind). Not a test.

    .venv/bin/python bench/page_instructions.py [--requests 40] [--only case,work] [--against /tmp/old]

Why: on this shared virtual machine the CPU time of the same code moves by ±25 % from one run to the next (README,
"Run-to-run variance"), so two versions of a page compared by time need many interleaved runs and still disagree.
valgrind's callgrind counts the instructions a process executes, which do not depend on what else the machine is
doing: the same code, data and requests give the same count to within a few parts in a million (with the hash
seed fixed, as here).

How: for each endpoint, two processes run under `valgrind --tool=callgrind` with the setup of bench/page_cpu.py
(the load test's database and settings, the shared Redis cache, the Shenzhen caseworker, case ids drawn from a
fixed seed): both start Django and send 10 warm-up requests, then freeze what is in memory out of the cyclic
garbage collector (gc.freeze); then one sends --requests more and the other twice as many. The difference of
their counts, divided by --requests, is the endpoint's instructions per request, without the start-up and the exit.
Only this process's instructions are counted: PostgreSQL's and Redis's work is not (bench/web_load.py reports the
database's CPU per request).

--against DIR counts the same endpoints with the code of another checkout of the project (e.g. a worktree of an
earlier commit: `git worktree add /tmp/old REF`), with this checkout's virtualenv, and prints the ratio. Runs two
valgrind processes at a time (a 2-core machine); each endpoint takes a few minutes (valgrind runs Python about
fifty times slower).
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WARM = 10

ENDPOINTS = [
    ("floor: health check", "/healthz"),
    ("reference: signed-in frame only", "/bench-reference/frame/"),
    ("page: work queue", "/work/"),
    ("page: case", "/cases/{id}/"),
    ("page: public notices", "/notices/"),
    ("determination (API)", "/api/cases/{id}/determination"),
]


def child(checkout: Path, database: str, url: str, requests: int) -> int:
    """Run inside valgrind: the requests, with the code of `checkout`."""
    sys.path.insert(0, str(checkout / "src"))
    sys.path.insert(0, str(ROOT / "bench"))
    from page_cpu import configure, forget, signed_in_caller

    os.chdir(checkout)
    cache_url, prefix = configure(database)
    sys.path.insert(0, str(checkout / "src"))  # configure() puts this checkout's src first; the measured one wins
    try:
        made = signed_in_caller(database)
        if made is None:
            return 2
        call, _ = made
        from rongcuo.web import jinja

        if not Path(str(jinja.__file__)).resolve().is_relative_to(checkout.resolve()):
            raise SystemExit(f"measured the code in {jinja.__file__}, not the checkout {checkout}")
        for _ in range(WARM):
            call(url)
        # What the warm-up left (modules, compiled templates and queries, caches) is frozen out of the cyclic
        # garbage collector, as in a server that loads before it forks its workers: otherwise a full collection
        # of that heap, which falls at a different request in each version of the code, weighs on the count.
        gc.collect()
        gc.freeze()
        for _ in range(requests):
            call(url)
    finally:
        forget(cache_url, prefix)
    return 0


def count(checkout: Path, database: str, url: str, requests: int) -> int:
    """Instructions executed by one child process."""
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__, "--child",
           str(checkout), "--database", database, "--url", url, "--requests", str(requests)]
    # A fixed hash seed: with Python's random one, dict and set layouts, and so the instructions, differ from one
    # process to the next by tens of millions (more than 30 requests of /healthz).
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, env={**os.environ, "PYTHONHASHSEED": "0"})
    found = re.search(r"Collected\s*:\s*(\d+)", done.stderr)
    if done.returncode != 0 or not found:
        raise SystemExit(f"{url} ({checkout}): valgrind run failed\n{done.stderr[-2000:]}")
    return int(found.group(1))


def per_request(checkout: Path, database: str, url: str, requests: int, pool: ThreadPoolExecutor) -> float:
    # Both processes send requests (N and 2N after the warm-up): a one-time cost that falls in any process that
    # serves requests (at its exit, say) then cancels out. With 0 and N, such a cost of some 40 million
    # instructions fell in the first process and not the second for one version of the code and not another,
    # and moved /healthz's count from 1.2 to 0.2 million per request.
    base = pool.submit(count, checkout, database, url, requests)
    more = pool.submit(count, checkout, database, url, 2 * requests)
    return (more.result() - base.result()) / requests


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=40, help="measured requests per endpoint (default 40)")
    ap.add_argument("--database", default="rongcuo_bench", help="the load test's PostgreSQL database")
    ap.add_argument("--only", default="", help="comma-separated substrings of the endpoints' names or paths")
    ap.add_argument("--against", type=Path, default=None, help="another checkout to count with (e.g. /tmp/old)")
    ap.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--url", default="", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        return child(args.child, args.database, args.url, args.requests)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed: apt-get install -y valgrind / 请先安装 valgrind", file=sys.stderr)
        return 2
    wanted = [w for w in args.only.split(",") if w]
    endpoints = [(n, u) for n, u in ENDPOINTS if not wanted or any(w in n or w in u for w in wanted)]
    if args.against is not None and not (args.against / "src" / "rongcuo").is_dir():
        print(f"--against {args.against}: not a checkout of this project (no src/rongcuo)", file=sys.stderr)
        return 2
    print(f"Rongcuo instructions per request (valgrind callgrind, this process only): database {args.database}, "
          f"{args.requests} requests after {WARM} warm-up ones; M = millions")
    head = f"{'endpoint':34} {'this checkout':>14}"
    if args.against is not None:
        head += f" {args.against!s:>14} {'ratio':>7}"
    print(head)
    with ThreadPoolExecutor(max_workers=2) as pool:
        for name, url in endpoints:
            ours = per_request(ROOT, args.database, url, args.requests, pool)
            line = f"{name:34} {ours / 1e6:12.2f} M"
            if args.against is not None:
                theirs = per_request(args.against.resolve(), args.database, url, args.requests, pool)
                line += f" {theirs / 1e6:12.2f} M {ours / theirs:7.3f}"
            print(line, flush=True)
    if args.against is not None:
        print("ratio: this checkout's instructions per request / the other's (below 1: fewer here)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
