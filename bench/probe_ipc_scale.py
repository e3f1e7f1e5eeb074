"""Evidence for docs/performance.md: what 126 sleeping processes add to the
IPC round trip, split into their fixed cost (start and exit) and the cost
per call.

    python bench/probe_ipc_scale.py [--reps N]

Runs bench_ipc_server + bench_ipc_client with 1 and with 20k calls, alone
and beside 126 bench_idle processes, and prints System.run() medians.
Not part of `make bench`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from probe_slices import emu_run  # noqa: E402


def run(calls: int, idle: int) -> float:
    return emu_run([("bench_ipc_server", []), ("bench_ipc_client", [str(calls)])] + [("bench_idle", [])] * idle)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    ns = ap.parse_args()
    cases = [(1, 0), (1, 126), (20000, 0), (20000, 126)]
    res: dict[tuple[int, int], list[float]] = {c: [] for c in cases}
    for _ in range(ns.reps):
        for c in cases:
            res[c].append(run(*c))
    med = {c: statistics.median(v) for c, v in res.items()}
    for (calls, idle), v in med.items():
        print(f"{calls:6} calls, {idle:3} idle processes: {v * 1000:8.1f} ms")
    fixed = med[(1, 126)] - med[(1, 0)]
    per_alone = (med[(20000, 0)] - med[(1, 0)]) / 19999
    per_crowd = (med[(20000, 126)] - med[(1, 126)]) / 19999
    print(f"fixed cost of 126 idle processes: {fixed * 1000:.1f} ms ({fixed / 126 * 1e3:.2f} ms each)")
    print(f"per call: {per_alone * 1e6:.1f} us alone, {per_crowd * 1e6:.1f} us beside them "
          f"({per_crowd / per_alone:.2f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
