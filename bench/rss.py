"""Memory per guest process: run in a fresh interpreter by bench/run.py
(`python bench/rss.py GUESTS_DIR N`), prints one JSON object.

The Python process's VmRSS (/proc/self/status) is read after the imports
and a warm-up run of one hello guest (so that lazily initialised library
state is not charged to the guests), then after spawning N bench_idle
processes into one system (each: one Unicorn instance, its image, its
64 KiB stack, its kernel-model objects), then after running them all to
the end (each has executed code, so its translation cache is populated;
the System and its Unicorn instances are still alive). VmHWM is the peak.
"""

from __future__ import annotations

import gc
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from emu import System  # noqa: E402


def status_kib(field: str) -> int:
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def main() -> int:
    guests = Path(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 128
    warm = System()
    warm.spawn(str(guests / "hello.elf"))
    assert warm.run().status == 0
    del warm
    gc.collect()
    base = status_kib("VmRSS")
    system = System()
    for _ in range(n):
        system.spawn(str(guests / "bench_idle.elf"))
    gc.collect()
    spawned = status_kib("VmRSS")
    result = system.run()
    assert result.status == 0, result
    gc.collect()
    after = status_kib("VmRSS")
    peak = status_kib("VmHWM")
    mib = 1024.0
    print(json.dumps({
        "processes": n,
        "baseline_mib": base / mib,
        "after_spawn_mib": spawned / mib,
        "after_run_mib": after / mib,
        "peak_mib": peak / mib,
        "per_guest_spawned_mib": (spawned - base) / mib / n,
        "per_guest_after_run_mib": (after - base) / mib / n,
        "per_guest_peak_mib": (peak - base) / mib / n,
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
