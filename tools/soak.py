"""Soak: N messages through a port, N through a channel and N records
through a shared ring between two processes (guest_programs/src/soak.c),
every message checked by the consumer, host memory (RSS) sampled when the
system is built and when the run ends.

usage: python tools/soak.py [N] [--max-growth-mib M]     (make soak: N = 1,000,000)
Exit status 0 when every message arrived intact and in order and RSS grew
by less than M MiB.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from emu import System  # noqa: E402


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def soak(n: int, guest: Path) -> tuple[int, bytes, float, float, float]:
    system = System()
    system.spawn(str(guest), argv=["soak", "consumer", str(n)])
    system.spawn(str(guest), argv=["soak", "producer", str(n)])
    before = rss_mib()
    t = time.perf_counter()
    result = system.run()
    return result.status, result.stdout, before, rss_mib(), time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", nargs="?", type=int, default=1_000_000)
    ap.add_argument("--max-growth-mib", type=float, default=16.0)
    ap.add_argument("--guest", default=str(ROOT / "build" / "guests" / "gcc-O2" / "soak.elf"))
    ns = ap.parse_args()
    status, out, before, after, secs = soak(ns.n, Path(ns.guest))
    sys.stdout.write(out.decode(errors="replace"))
    print(f"soak: {3 * ns.n} messages in {secs:.1f} s, run status {status}, "
          f"RSS {before:.1f} MiB at start, {after:.1f} MiB at end ({after - before:+.1f} MiB)")
    ok = status == 0 and after - before < ns.max_growth_mib
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
