"""Benchmarks (not part of `make test`): `make bench` or
`.venv/bin/python bench/run.py [--reps N] [--json OUT]`.

Syscall loop: the syscall_loop guest makes 200k SYS_NULL calls. Measured in
one run, interleaved, several repetitions:
  - strat9-emu: System.run() in this process (the emulator alone), and the
    whole `strat9-emu run` command (Python start-up included);
  - bare Unicorn: the same ELF with nothing but a raw C-API syscall hook
    that answers SYS_NULL, through the same argtypes-free C calls as the
    emulator (the ceiling for anything built on Unicorn).

IPC round trip: bench_ipc_client makes 20k SYS_IPC_CALLs to bench_ipc_server
(recv, reply); the system also holds N-2 bench_idle processes asleep, for
N = 2, 16 and 128. Reported: median microseconds per round trip.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from unicorn import UC_ARCH_X86, UC_HOOK_INSN, UC_MODE_64, Uc  # noqa: E402
from unicorn import x86_const as X  # noqa: E402

from emu import System, Tracer  # noqa: E402
from emu import loader  # noqa: E402
from emu.cpu import EMU_STOP, REG_READ_BATCH, REG_WRITE_BATCH, raw_function  # noqa: E402

N_SYSCALLS = 200_000
N_CALLS = 20_000
IPC_SYSTEM_SIZES = (2, 16, 128)


def bare_unicorn(path: str, n: int) -> float:
    """Seconds to run the guest with only a syscall hook (raw C API)."""
    image = loader.load_elf(path)
    uc = Uc(UC_ARCH_X86, UC_MODE_64)
    for seg in image.segments:
        uc.mem_map(seg.vaddr, len(seg.data), 7)
        uc.mem_write(seg.vaddr, bytes(seg.data))
    rsp, stack = loader.build_stack(image, [b"syscall_loop", str(n).encode()], [])
    uc.mem_map(loader.USER_STACK_BASE, loader.USER_STACK_PAGES * loader.PAGE, 3)
    uc.mem_write(rsp, stack)
    uc.reg_write(X.UC_X86_REG_RSP, rsp)
    uch = uc._uch
    ids = (ctypes.c_int * 7)(X.UC_X86_REG_RAX, X.UC_X86_REG_RDI, X.UC_X86_REG_RSI, X.UC_X86_REG_RDX,
                             X.UC_X86_REG_R10, X.UC_X86_REG_R8, X.UC_X86_REG_R9)
    vals = (ctypes.c_uint64 * 7)()
    ptrs = (ctypes.c_void_p * 7)(*[ctypes.addressof(vals) + 8 * i for i in range(7)])
    rax = ctypes.c_uint64()

    out_ids = (ctypes.c_int * 1)(X.UC_X86_REG_RAX)
    out_ptrs = (ctypes.c_void_p * 1)(ctypes.addressof(rax))

    def on_syscall():
        REG_READ_BATCH(uch, ids, ptrs, 7)
        nr = vals[0]
        if nr in (300, 334):
            EMU_STOP(uch)
            return
        rax.value = 0x57A79 if nr == 0 else vals[3]  # SYS_NULL, or a console write of len bytes
        REG_WRITE_BATCH(uch, out_ids, out_ptrs, 1)

    cb = ctypes.CFUNCTYPE(None)(on_syscall)
    h = ctypes.c_size_t()
    hook_add = raw_function("uc_hook_add")
    hook_add(uch, ctypes.byref(h), ctypes.c_int(UC_HOOK_INSN), cb, None, ctypes.c_uint64(1), ctypes.c_uint64(0),
             ctypes.c_int(X.UC_X86_INS_SYSCALL))
    t = time.perf_counter()
    uc.emu_start(image.entry, 1 << 63)
    return time.perf_counter() - t


def emu_inprocess(path: str, n: int, trace_file: str | None = None) -> float:
    tracer = None
    out = None
    if trace_file is not None:
        out = open(trace_file, "w", encoding="utf-8")
        tracer = Tracer(jsonl=out, keep=False)
    system = System(tracer=tracer)
    system.spawn(path, argv=["syscall_loop", str(n)])
    t = time.perf_counter()
    result = system.run()
    dt = time.perf_counter() - t
    if out is not None:
        out.close()
    assert result.status == 0, result
    return dt


def ipc_round_trip(guests: Path, n: int, processes: int) -> float:
    """Seconds per call/reply round trip in a system of `processes` processes."""
    system = System()
    system.spawn(str(guests / "bench_ipc_server.elf"))
    system.spawn(str(guests / "bench_ipc_client.elf"), argv=["bench_ipc_client", str(n)])
    for _ in range(processes - 2):
        system.spawn(str(guests / "bench_idle.elf"))
    t = time.perf_counter()
    result = system.run()
    dt = time.perf_counter() - t
    assert result.status == 0, result
    return dt / n


def emu_cli(path: str, n: int, extra: list[str] = ()) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "emu", "run", *extra, "--args", "1", str(n), path], check=True,
                   cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--json", default=str(ROOT / "bench" / "results.json"))
    ap.add_argument("--guests", default=str(ROOT / "build" / "guests" / "gcc-O2"))
    ns = ap.parse_args()
    path = str(Path(ns.guests) / "syscall_loop.elf")
    trace_path = str(ROOT / "build" / "bench-trace.jsonl")
    runners = {
        "bare unicorn (raw C-API hook)": lambda: bare_unicorn(path, N_SYSCALLS),
        "strat9-emu System.run()": lambda: emu_inprocess(path, N_SYSCALLS),
        "strat9-emu System.run() --trace-file": lambda: emu_inprocess(path, N_SYSCALLS, trace_path),
        "strat9-emu run (whole process)": lambda: emu_cli(path, N_SYSCALLS),
    }
    times: dict[str, list[float]] = {k: [] for k in runners}
    for _ in range(ns.reps):  # interleaved, so drift hits every runner alike
        for name, fn in runners.items():
            times[name].append(fn())
    print(f"syscall loop: {N_SYSCALLS} SYS_NULL calls, {ns.reps} repetitions, median [min-max]")
    rows = {}
    for name, ts in times.items():
        med = statistics.median(ts)
        rows[name] = {"median_s": med, "min_s": min(ts), "max_s": max(ts), "syscalls_per_s": N_SYSCALLS / med}
        print(f"  {name:34} {med * 1000:8.1f} ms [{min(ts) * 1000:.1f}-{max(ts) * 1000:.1f}]  "
              f"{N_SYSCALLS / med / 1000:8.1f} k syscalls/s")
    base = rows["bare unicorn (raw C-API hook)"]["median_s"]
    ratio = rows["strat9-emu System.run()"]["median_s"] / base
    print(f"  strat9-emu / bare unicorn: {ratio:.2f}x")
    traced = rows["strat9-emu System.run() --trace-file"]["median_s"] / rows["strat9-emu System.run()"]["median_s"]
    print(f"  --trace-file / untraced: {traced:.2f}x")

    guests = Path(ns.guests)
    rtt: dict[int, list[float]] = {n: [] for n in IPC_SYSTEM_SIZES}
    for _ in range(ns.reps):
        for n in IPC_SYSTEM_SIZES:
            rtt[n].append(ipc_round_trip(guests, N_CALLS, n))
    print(f"IPC call/reply round trip: {N_CALLS} calls, {ns.reps} repetitions, median [min-max]")
    ipc = {}
    for n, ts in rtt.items():
        med = statistics.median(ts)
        ipc[n] = {"median_us": med * 1e6, "min_us": min(ts) * 1e6, "max_us": max(ts) * 1e6}
        print(f"  {n:4d} processes {med * 1e6:8.1f} us [{min(ts) * 1e6:.1f}-{max(ts) * 1e6:.1f}]"
              f"  {ipc[n]['median_us'] / (statistics.median(rtt[IPC_SYSTEM_SIZES[0]]) * 1e6):.2f}x of 2")
    Path(ns.json).write_text(json.dumps({"syscall_loop": rows, "ratio_emu_to_bare": ratio,
                                         "ratio_trace_file": traced,
                                         "ipc_round_trip": ipc}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
