"""Evidence for docs/performance.md: where the time of one syscall goes.

    python bench/probe_syscall.py [--reps N]

Runs syscall_loop (200k SYS_NULL) on one Unicorn instance with ctypes hooks
that do more and more of what strat9-emu's hook does (the costs that led
to writing the hook in C, emu/_trap.c), then strat9-emu itself,
and prints nanoseconds per syscall (median and min of N repetitions;
interleaved). Then a few micro-costs of the kernel-model path (timeit).
Not part of `make bench`.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import statistics
import sys
import time
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bare import EMU_STOP, HOOK_ADD, REG_READ_BATCH, REG_WRITE_BATCH, BareRun  # noqa: E402
from unicorn import UC_HOOK_INSN  # noqa: E402
from unicorn import x86_const as X  # noqa: E402
from unicorn.unicorn_py3.unicorn import uclib  # noqa: E402

from emu import System  # noqa: E402
from emu.cpu import RESULT_REGS, SYSCALL_REGS, raw_function  # noqa: E402
from kernel_model.errno import Errno, SyscallError  # noqa: E402

N = 200_000
ELF = str(ROOT / "build" / "guests" / "gcc-O2" / "syscall_loop.elf")
MAGIC = 0x57A79


def variant(kind: str) -> float:
    """Seconds for N syscalls with hook `kind` (no hook of bare.py)."""
    install = BareRun._install
    BareRun._install = lambda self: None
    try:
        run = BareRun(ELF, ["syscall_loop", str(N)])
    finally:
        BareRun._install = install
    run._count = [0]
    uch = run.uc._uch
    n = len(SYSCALL_REGS)
    ids = (ctypes.c_int * n)(*SYSCALL_REGS)
    vals = (ctypes.c_uint64 * n)()
    ptrs = (ctypes.c_void_p * n)(*[ctypes.addressof(vals) + 8 * i for i in range(n)])
    mv = memoryview(vals).cast("B").cast("Q")
    out = (ctypes.c_uint64 * 3)()
    out_ids = (ctypes.c_int * 3)(*RESULT_REGS)
    out_ptrs = (ctypes.c_void_p * 3)(*[ctypes.addressof(out) + 8 * i for i in range(3)])
    omv = memoryview(out).cast("B").cast("Q")
    rb, wb, stop = REG_READ_BATCH, REG_WRITE_BATCH, EMU_STOP

    def finish():
        run.exit_code = 0
        stop(uch)

    def dispatch(task, nr, a1, a2, a3, a4, a5, a6):  # the cheapest possible kernel
        return MAGIC

    def read1():  # callback + read rax (the guest sees rax unchanged)
        rb(uch, ids, ptrs, 1)
        if mv[0]:
            finish()

    def read1_write1():  # + write rax: the bare runner's work
        rb(uch, ids, ptrs, 1)
        if mv[0]:
            return finish()
        omv[0] = MAGIC
        wb(uch, out_ids, out_ptrs, 1)

    def read9_write3():  # strat9-emu's register traffic (rcx, r11 as hardware)
        rb(uch, ids, ptrs, n)
        nr, a1, a2, a3, a4, a5, a6, rip, fl = mv.tolist()
        if nr:
            return finish()
        omv[0] = MAGIC
        omv[1] = rip + 2
        omv[2] = fl
        wb(uch, out_ids, out_ptrs, 3)

    def read9_write3_call():  # + one Python call with the 8 dispatch arguments
        rb(uch, ids, ptrs, n)
        nr, a1, a2, a3, a4, a5, a6, rip, fl = mv.tolist()
        if nr:
            return finish()
        omv[1] = rip + 2
        omv[2] = fl
        r = dispatch(None, nr, a1, a2, a3, a4, a5, a6)
        if r.__class__ is int:
            omv[0] = r
            wb(uch, out_ids, out_ptrs, 3)

    fn = {"callback + read rax": read1, "+ write rax (= bare runner)": read1_write1,
          "read 9 regs + write 3": read9_write3, "+ a Python dispatch call": read9_write3_call}[kind]
    run._cb = ctypes.CFUNCTYPE(None)(fn)
    h = ctypes.c_size_t()
    HOOK_ADD(uch, ctypes.byref(h), ctypes.c_int(UC_HOOK_INSN), run._cb, None, ctypes.c_uint64(1),
             ctypes.c_uint64(0), ctypes.c_int(X.UC_X86_INS_SYSCALL))
    gc.collect()
    return run.run()


def emu() -> float:
    system = System()
    system.spawn(ELF, argv=["syscall_loop", str(N)])
    gc.collect()
    t = time.perf_counter()
    assert system.run().status == 0
    return time.perf_counter() - t


def micro() -> list[tuple[str, float]]:
    system = System()
    proc = system.spawn(str(ROOT / "build" / "guests" / "gcc-O2" / "hello.elf"))
    task, k = proc.main_task, system.kernel
    mem = system.cpus[proc.pid].mem
    addr = 0x7FFF_F000_0000 + 0x8000
    buf = ctypes.create_string_buffer(64)
    raw_read = raw_function("uc_mem_read")
    err = SyscallError(Errno.EAGAIN)

    def raise_new():
        try:
            raise SyscallError(Errno.EAGAIN)
        except SyscallError as e:
            return -e.errno

    def raise_prebuilt():
        try:
            raise err
        except SyscallError as e:
            return -e.errno

    cases = [
        ("Kernel.dispatch(SYS_NULL)", lambda: k.dispatch(task, 0, 0, 0, 0, 0, 0, 0)),
        ("Kernel.dispatch(SYS_GETPID)", lambda: k.dispatch(task, 311, 0, 0, 0, 0, 0, 0)),
        ("Kernel.dispatch(unknown nr: ENOSYS)", lambda: k.dispatch(task, 999, 0, 0, 0, 0, 0, 0)),
        ("raise + catch SyscallError(Errno.EAGAIN)", raise_new),
        ("raise + catch a prebuilt SyscallError", raise_prebuilt),
        ("AddressSpace.read(64 bytes)", lambda: mem.read(addr, 64)),
        ("uclib.uc_mem_read, binding argtypes", lambda: uclib.uc_mem_read(mem._uch, addr, buf, 64)),
        ("uc_mem_read, raw_function", lambda: raw_read(mem._uch, ctypes.c_uint64(addr), buf, ctypes.c_size_t(64))),
    ]
    out = []
    for name, fn in cases:
        t = min(timeit.repeat(fn, number=100_000, repeat=5))
        out.append((name, t / 100_000))
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    ns = ap.parse_args()
    kinds = ["callback + read rax", "+ write rax (= bare runner)", "read 9 regs + write 3", "+ a Python dispatch call"]
    res: dict[str, list[float]] = {k: [] for k in kinds + ["strat9-emu System.run()"]}
    for _ in range(ns.reps):
        for k in kinds:
            res[k].append(variant(k))
        res["strat9-emu System.run()"].append(emu())
    print(f"syscall_loop, {N} SYS_NULL, {ns.reps} repetitions: ns per syscall, median [min]")
    for k, ts in res.items():
        print(f"  {k:32} {statistics.median(ts) / N * 1e9:6.0f} [{min(ts) / N * 1e9:.0f}]")
    print("micro-costs (timeit, best of 5):")
    for name, s in micro():
        print(f"  {name:42} {s * 1e9:6.0f} ns")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
