"""The runners of the benchmark: one function per way of running a workload.

Each returns a Sample for one execution (wall seconds, CPU seconds, the
guest's stdout, spawn seconds) and raises RunnerError when the run failed
(non-zero status). What is timed:

  in-process runners (`bare`, `emu`, `emu+idle`, `emu-trace`): only the
      run itself (uc_emu_start, System.run()), in this Python process;
      loading and spawning are timed separately (`spawn_s`);
  whole-process runners (`emu-cli`, `emu-cli-trace`, `bare-cli`, `python`,
      `native`, `qemu`): wall time from fork to exit of the child,
      interpreter start-up and imports included.
CPU time is this process's (time.process_time) for in-process runners and
the child's user + system time (RUSAGE_CHILDREN) for whole-process ones:
unlike wall time it does not grow when another program takes the CPU.
"""

from __future__ import annotations

import gc
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

from bare import BareRun  # noqa: E402
from emu import System, Tracer  # noqa: E402

LINUX_DIR = ROOT / "build" / "bench" / "linux"
TRACE_PATH = ROOT / "build" / "bench" / "trace.jsonl"


class RunnerError(Exception):
    pass


@dataclass
class Sample:
    wall: float
    cpu: float
    stdout: bytes
    spawn: float | None = None


@dataclass
class Workload:
    key: str
    title: str
    procs: list[tuple[str, list[str]]]  # (guest name, arguments after argv[0]), spawned in order
    runners: list[str]
    ops: int  # operations per run, for the derived metric
    metric: str  # "time" (ms), "rate" (ops/s), "latency" (us per op)
    unit: str = ""  # what an operation is ("syscall", "round trip", ...)
    linux: str | None = None  # name of the Linux build (build/bench/linux/NAME), same arguments
    idle: int = 0  # bench_idle processes added to the system
    note: str = ""
    samples: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)
    spawn: dict[str, list[float]] = field(default_factory=dict)
    outputs: dict[str, bytes] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)  # runner -> why it failed


@dataclass
class Context:
    guests: Path
    python: str = sys.executable
    qemu: str | None = None


# -- in-process ---------------------------------------------------------------------


def _system(ctx: Context, w: Workload, tracer=None, extra_idle: int = 0) -> tuple[System, float]:
    t = time.perf_counter()
    system = System(tracer=tracer)
    for name, args in w.procs:
        system.spawn(str(ctx.guests / f"{name}.elf"), argv=[name, *args])
    for _ in range(w.idle + extra_idle):
        system.spawn(str(ctx.guests / "bench_idle.elf"))
    return system, time.perf_counter() - t


def _run_system(system: System, spawn: float) -> Sample:
    gc.collect()
    c = time.process_time()
    t = time.perf_counter()
    result = system.run()
    dt = time.perf_counter() - t
    dc = time.process_time() - c
    if result.status != 0:
        raise RunnerError(f"status {result.status} ({result.reason}) {result.report} {result.stderr[-500:]!r}")
    return Sample(dt, dc, result.stdout, spawn)


def run_emu(ctx: Context, w: Workload) -> Sample:
    return _run_system(*_system(ctx, w))


def run_emu_idle(ctx: Context, w: Workload) -> Sample:
    """The same plus one bench_idle process asleep: the system has two
    tasks, so the workload runs in block-limited slices (the C block hook)."""
    return _run_system(*_system(ctx, w, extra_idle=1))


def run_emu_trace(ctx: Context, w: Workload) -> Sample:
    TRACE_PATH.parent.mkdir(parents=True, exist_ok=True)
    with open(TRACE_PATH, "w", encoding="utf-8") as out:
        return _run_system(*_system(ctx, w, tracer=Tracer(jsonl=out, keep=False)))


def run_emu_spawn_and_run(ctx: Context, w: Workload) -> Sample:
    """System(), spawn and run, all timed: start-up without the interpreter."""
    gc.collect()
    c = time.process_time()
    t = time.perf_counter()
    system, spawn = _system(ctx, w)
    result = system.run()
    dt = time.perf_counter() - t
    dc = time.process_time() - c
    if result.status != 0:
        raise RunnerError(f"status {result.status}")
    return Sample(dt, dc, result.stdout, spawn)


def run_bare(ctx: Context, w: Workload, hook: str = "ctypes") -> Sample:
    (name, args), = w.procs
    gc.collect()
    t = time.perf_counter()
    bare = BareRun(str(ctx.guests / f"{name}.elf"), [name, *args], hook=hook)
    spawn = time.perf_counter() - t
    c = time.process_time()
    dt = bare.run()
    dc = time.process_time() - c
    if bare.exit_code != 0:
        raise RunnerError(f"exit code {bare.exit_code}")
    return Sample(dt, dc, bytes(bare.stdout), spawn)


def run_bare_trap(ctx: Context, w: Workload) -> Sample:
    """The bare runner's hook as a Python handler behind strat9-emu's C trap."""
    return run_bare(ctx, w, hook="trap")


# -- whole process ------------------------------------------------------------------


def _child_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _process(cmd: list[str], cwd: Path = ROOT) -> Sample:
    c = _child_cpu()
    t = time.perf_counter()
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t
    dc = _child_cpu() - c
    if p.returncode != 0:
        raise RunnerError(f"{' '.join(cmd)}: exit status {p.returncode}: {p.stderr[-500:]!r}")
    return Sample(dt, dc, p.stdout)


def _single(w: Workload) -> tuple[str, list[str]]:
    if len(w.procs) != 1 or w.idle:
        raise RunnerError(f"{w.key}: whole-process runners take one guest")
    return w.procs[0]


def run_emu_cli(ctx: Context, w: Workload, trace: bool = False) -> Sample:
    name, args = _single(w)
    cmd = [ctx.python, "-m", "emu", "run"]
    if trace:
        TRACE_PATH.parent.mkdir(parents=True, exist_ok=True)
        cmd += ["--trace-file", str(TRACE_PATH)]
    if args:
        cmd += ["--args", "1", " ".join(args)]
    cmd.append(str(ctx.guests / f"{name}.elf"))
    return _process(cmd)


def run_emu_cli_trace(ctx: Context, w: Workload) -> Sample:
    return run_emu_cli(ctx, w, trace=True)


def run_bare_cli(ctx: Context, w: Workload) -> Sample:
    name, args = _single(w)
    return _process([ctx.python, str(BENCH / "bare.py"), str(ctx.guests / f"{name}.elf"), *args])


def run_python(ctx: Context, w: Workload) -> Sample:
    """The interpreter alone: the floor of every Python runner's start-up."""
    return _process([ctx.python, "-c", "pass"])


def run_python_import(ctx: Context, w: Workload) -> Sample:
    """The interpreter and the imports of `strat9-emu run`, nothing run."""
    return _process([ctx.python, "-c", "import emu.cli"])


def run_native(ctx: Context, w: Workload) -> Sample:
    name, args = _single(w)
    return _process([str(LINUX_DIR / (w.linux or name)), *args])


def run_qemu(ctx: Context, w: Workload) -> Sample:
    name, args = _single(w)
    if ctx.qemu is None:
        raise RunnerError("qemu-x86_64 not installed")
    return _process([ctx.qemu, str(LINUX_DIR / (w.linux or name)), *args])


# name -> (function, label, in-process?)
RUNNERS = {
    "bare": (run_bare, "bare Unicorn, raw C-API syscall hook (in-process)", True),
    "bare-trap": (run_bare_trap, "bare Unicorn, the same hook as a Python handler behind emu/_trap.c (in-process)",
                  True),
    "emu": (run_emu, "strat9-emu System.run() (in-process)", True),
    "emu+idle": (run_emu_idle, "strat9-emu System.run(), + 1 idle process: block-limited slices", True),
    "emu-trace": (run_emu_trace, "strat9-emu System.run() --trace-file (in-process)", True),
    "emu-spawn": (run_emu_spawn_and_run, "strat9-emu System() + spawn + run (in-process)", True),
    "emu-cli": (run_emu_cli, "strat9-emu run (whole process)", False),
    "emu-cli-trace": (run_emu_cli_trace, "strat9-emu run --trace-file (whole process)", False),
    "bare-cli": (run_bare_cli, "python bench/bare.py: bare Unicorn (whole process)", False),
    "python": (run_python, "python -c pass (whole process)", False),
    "python-import": (run_python_import, "python -c 'import emu.cli' (whole process)", False),
    "native": (run_native, "native Linux build (whole process)", False),
    "qemu": (run_qemu, "qemu-x86_64, Linux build (whole process)", False),
}
