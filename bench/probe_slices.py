"""Evidence for docs/performance.md: what instruction-counted slices cost,
and what a block-counting hook written in C would cost instead.

    python bench/probe_slices.py [--reps N]

Runs bench_crc32 (4 passes) and bench_fib (27, 20) on the bare Unicorn
runner three ways:
  plain          no hook but the syscall hook (a lone task in strat9-emu);
  count slices   uc_emu_start(count=200000) slice after slice: what
                 strat9-emu does as soon as a system holds two tasks
                 (Unicorn 2.1.4 implements `count` as a UC_HOOK_CODE hook on
                 every instruction, with EFLAGS synced around it);
  C block hook   a UC_HOOK_BLOCK callback written in C (built here into
                 build/bench/probe_block.so against the loaded libunicorn):
                 one call per translation block, which could count blocks
                 and stop the slice deterministically.
strat9-emu now preempts with such a block hook (emu/_trap.c), limiting a
slice only while another task is runnable. Then the same question on
strat9-emu itself: a few multi-task workloads as they are, and with slice
limits switched off by monkeypatching System._others_runnable in this
process only (unfair, an experiment: what the limits still cost).
Not part of `make bench`; prints medians of N repetitions.
"""

from __future__ import annotations

import argparse
import ctypes
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bare import EMU_START, HOOK_ADD, NEVER, BareRun  # noqa: E402
sys.path.insert(0, str(ROOT))
import gc  # noqa: E402

from emu import System  # noqa: E402
from unicorn import UC_HOOK_BLOCK  # noqa: E402
from unicorn import x86_const as X  # noqa: E402
from unicorn.unicorn_py3.unicorn import uclib  # noqa: E402

C_HOOK = r"""
#include <stdint.h>
struct uc_struct;
int uc_emu_stop(struct uc_struct *uc);
uint64_t probe_blocks_left = ~0ull;
uint64_t probe_blocks_seen = 0;
void probe_on_block(struct uc_struct *uc, uint64_t addr, uint32_t size, void *user)
{
    (void)addr; (void)size; (void)user;
    probe_blocks_seen++;
    if (--probe_blocks_left == 0)
        uc_emu_stop(uc);
}
"""


def build_hook() -> ctypes.CDLL:
    out = ROOT / "build" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    src, lib = out / "probe_block.c", out / "probe_block.so"
    src.write_text(C_HOOK)
    subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-o", str(lib), str(src), uclib._name], check=True)
    return ctypes.CDLL(str(lib))


def guest(name: str) -> str:
    return str(ROOT / "build" / "guests" / "gcc-O2" / f"{name}.elf")


def plain(name, args) -> float:
    return BareRun(guest(name), [name, *args]).run()


def block_hook(lib, name, args) -> tuple[float, int]:
    run = BareRun(guest(name), [name, *args])
    h = ctypes.c_size_t()
    fn = ctypes.cast(lib.probe_on_block, ctypes.c_void_p)
    err = HOOK_ADD(run.uc._uch, ctypes.byref(h), ctypes.c_int(UC_HOOK_BLOCK), fn, None, ctypes.c_uint64(1),
                   ctypes.c_uint64(0))
    assert err == 0, err
    seen = ctypes.c_uint64.in_dll(lib, "probe_blocks_seen")
    seen.value = 0
    dt = run.run()
    return dt, seen.value


def count_slices(name, args, slice_insns: int = 200_000) -> float:
    run = BareRun(guest(name), [name, *args])
    uch = run.uc._uch
    rip = run.entry
    t = time.perf_counter()
    while run.exit_code is None:
        EMU_START(uch, ctypes.c_uint64(rip), ctypes.c_uint64(NEVER), ctypes.c_uint64(0), ctypes.c_size_t(slice_insns))
        rip = run.uc.reg_read(X.UC_X86_REG_RIP)
    return time.perf_counter() - t


EMU_WORKLOADS = {
    "crc32 x 4 + idle process": [("bench_crc32", ["4"]), ("bench_idle", [])],
    "ipc-2, 20k calls": [("bench_ipc_server", []), ("bench_ipc_client", ["20000"])],
    "ipc-128, 20k calls": [("bench_ipc_server", []), ("bench_ipc_client", ["20000"])] + [("bench_idle", [])] * 126,
    "chan, 50k messages": [("bench_chan_stream", ["50000"])],
    "ring, 200k records": [("bench_ring_stream", ["200000"])],
}


def emu_run(procs) -> float:
    system = System()
    for name, args in procs:
        system.spawn(guest(name), argv=[name, *args])
    gc.collect()
    t = time.perf_counter()
    result = system.run()
    dt = time.perf_counter() - t
    assert result.status == 0, (result.status, result.report)
    return dt


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3)
    ns = ap.parse_args()
    lib = build_hook()
    for name, args in (("bench_crc32", ["4"]), ("bench_fib", ["27", "20"])):
        res: dict[str, list[float]] = {"plain": [], "count slices": [], "C block hook": []}
        blocks = 0
        for _ in range(ns.reps):
            res["plain"].append(plain(name, args))
            res["count slices"].append(count_slices(name, args))
            dt, blocks = block_hook(lib, name, args)
            res["C block hook"].append(dt)
        base = statistics.median(res["plain"])
        cells = [f"{k} {statistics.median(v) * 1000:.0f} ms ({statistics.median(v) / base:.2f}x)"
                 for k, v in res.items()]
        print(f"{name} {' '.join(args)}: " + "; ".join(cells) + f"; {blocks} blocks executed")
    others_runnable = System._others_runnable
    res2: dict[tuple[str, str], list[float]] = {}
    try:
        for _ in range(ns.reps):
            for mode in ("as is", "slices never limited"):
                System._others_runnable = others_runnable if mode == "as is" else (lambda self, task: False)
                for key, procs in EMU_WORKLOADS.items():
                    res2.setdefault((key, mode), []).append(emu_run(procs))
    finally:
        System._others_runnable = others_runnable
    print("strat9-emu System.run(), median of N:")
    for key in EMU_WORKLOADS:
        a = statistics.median(res2[(key, "as is")])
        b = statistics.median(res2[(key, "slices never limited")])
        print(f"  {key:26} as is {a * 1000:8.1f} ms | never limited {b * 1000:8.1f} ms | {a / b:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
