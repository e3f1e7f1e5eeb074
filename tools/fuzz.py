"""Long fuzzing session (`make fuzz`; never part of `make test`).

Four stages, each a longer version of a suite test:

1. guests: guest_programs/src/fuzz_syscalls.c under the emulator, one run
   per seed, 1 to 5 fuzzer processes together (some unprivileged), with the
   text and JSONL trace formatters on every fourth run and --exact
   instruction accounting on every eighth; every run must exit 0 (no
   anomaly, deadlock, limit or internal error);
2. model: the random driver of tests/kernel_model/test_fuzz_dispatch.py
   (Kernel.dispatch on fake memory, invariants after every step);
3. hypothesis: the loader mutation test and the kernel state machine with
   many more examples;
4. corpus: every file of tests/elf_corpus/ refused as its manifest says.

A failure prints the seed and the command that replays it; the exit
status is 1 if anything failed.

usage: python tools/fuzz.py [--seeds N] [--first S] [--count C] [--steps K] [--examples E]
                            [--cells gcc-O2,clang-O0,...] [-j J] [--stages guests,model,hypothesis,corpus]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SUMMARY = re.compile(r"fuzz_syscalls\[(\d+)\]: seed (\d+): (\d+) calls")
CHILD = re.compile(r"fuzz_syscalls\[(\d+)\]: forked child: (\d+) calls")


class _Null(io.TextIOBase):
    def write(self, s: str) -> int:
        return len(s)


def guest_config(seed: int, index: int, cells: list[str]) -> tuple[str, int, list[int]]:
    nprocs = 1 + index % 5
    unprivileged = [2] if nprocs >= 2 and index % 3 == 0 else []
    return cells[index % len(cells)], nprocs, unprivileged


def replay_command(cell: str, seed: int, count: int, nprocs: int, unprivileged: list[int], exact: bool) -> str:
    elf = f"build/guests/{cell}/fuzz_syscalls.elf"
    args = " ".join(f"--args {i} '{seed} {count} {nprocs}'" for i in range(1, nprocs + 1))
    opts = " ".join([f"--unprivileged {k}" for k in unprivileged] + (["--exact --max-insns 50000000"] if exact else []))
    return f"python -m emu run --timeout 600 {opts} {args} {' '.join([elf] * nprocs)}".replace("  ", " ")


def run_guest(job: tuple) -> tuple[int, str | None, int]:
    """(seed, failure or None, syscalls made)."""
    from emu import System, Tracer

    seed, index, count, cells = job
    cell, nprocs, unprivileged = guest_config(seed, index, cells)
    elf = ROOT / "build" / "guests" / cell / "fuzz_syscalls.elf"
    tracer = Tracer(text=_Null(), jsonl=_Null(), keep=False) if index % 4 == 0 else None
    exact = index % 8 == 3
    system = System(tracer=tracer, timeout=600, exact=exact, max_insns=50_000_000 if exact else None)
    for i in range(1, nprocs + 1):
        system.spawn(str(elf), argv=["fuzz_syscalls", str(seed), str(count), str(nprocs)], admin=i not in unprivileged)
    r = system.run()
    out = r.stdout.decode(errors="replace")
    calls = sum(int(m.group(3)) for m in SUMMARY.finditer(out))
    calls += sum(int(m.group(2)) for m in CHILD.finditer(out))
    if r.reason != "exited" or r.status != 0 or "anomaly" in out:
        lines = [ln for ln in out.splitlines() if "anomaly" in ln][:5]
        why = f"{r.reason}, status {r.status}\n{r.report}\n" + "\n".join(lines)
        replay = replay_command(cell, seed, count, nprocs, unprivileged, exact)
        return seed, f"{why}\n  replay: {replay}", r.syscalls
    return seed, None, r.syscalls


def stage_guests(ns) -> tuple[int, int]:
    cells = ns.cells.split(",")
    for cell in cells:
        if not (ROOT / "build" / "guests" / cell / "fuzz_syscalls.elf").exists():
            sys.exit(f"build/guests/{cell}/fuzz_syscalls.elf is missing: make guests (or make guests-matrix)")
    jobs = [(ns.first + i, i, ns.count, cells) for i in range(ns.seeds)]
    failures, total = 0, 0
    with ProcessPoolExecutor(max_workers=ns.j) as pool:
        for seed, failure, calls in pool.map(run_guest, jobs):
            total += calls
            if failure:
                failures += 1
                print(f"guest fuzzer: seed {seed} FAILED: {failure}", flush=True)
    print(f"guests: {ns.seeds} runs (seeds {ns.first}..{ns.first + ns.seeds - 1}), {total} syscalls, "
          f"{failures} failed", flush=True)
    return failures, total


def run_model(job: tuple) -> tuple[int, str | None, int]:
    seed, steps = job
    sys.path.insert(0, str(ROOT / "tests" / "kernel_model"))
    import test_fuzz_dispatch as fz  # noqa: E402

    try:
        return seed, None, fz.fuzz_random(seed, steps)
    except Exception as e:  # an invariant or an escaped exception
        import traceback
        return seed, "".join(traceback.format_exception(e))[-3000:], 0


def stage_model(ns) -> tuple[int, int]:
    jobs = [(ns.first + i, ns.steps) for i in range(ns.seeds)]
    failures, total = 0, 0
    with ProcessPoolExecutor(max_workers=ns.j) as pool:
        for seed, failure, calls in pool.map(run_model, jobs):
            total += calls
            if failure:
                failures += 1
                print(f"model fuzzer: seed {seed} FAILED (replay: fuzz_random({seed}, {ns.steps}) in "
                      f"tests/kernel_model/test_fuzz_dispatch.py):\n{failure}", flush=True)
    print(f"model: {ns.seeds} runs of {ns.steps} steps, {total} syscalls dispatched, {failures} failed", flush=True)
    return failures, total


def stage_hypothesis(ns) -> int:
    env = dict(os.environ, STRAT9_FUZZ_EXAMPLES=str(ns.examples))
    tests = ["tests/emu/test_loader_fuzz.py::test_mutated_elf_is_refused_in_one_line_or_runs_cleanly",
             "tests/kernel_model/test_fuzz_dispatch.py::TestKernelFuzz"]
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--hypothesis-show-statistics",
                        *tests], cwd=ROOT, env=env, capture_output=True, text=True)
    tail = "\n".join(p.stdout.splitlines()[-40:])
    print(f"hypothesis ({ns.examples} examples each): {'ok' if p.returncode == 0 else 'FAILED'}\n{tail}", flush=True)
    return 0 if p.returncode == 0 else 1


def stage_corpus(ns) -> int:
    from emu.loader import LoadError, load_elf

    corpus = ROOT / "tests" / "elf_corpus"
    manifest = json.loads((corpus / "MANIFEST.json").read_text())
    failures = 0
    for name, reason in sorted(manifest.items()):
        try:
            load_elf(str(corpus / name))
            ok = reason is None
        except LoadError as e:
            ok = reason is not None and reason in str(e) and "\n" not in str(e)
        if not ok:
            failures += 1
            print(f"corpus: {name}: not refused as the manifest says ({reason!r})", flush=True)
    print(f"corpus: {len(manifest)} files, {failures} failed", flush=True)
    return failures


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=200, help="runs per random stage (default 200)")
    ap.add_argument("--first", type=int, default=1000, help="first seed (default 1000)")
    ap.add_argument("--count", type=int, default=20000, help="syscalls per guest fuzzer process (default 20000)")
    ap.add_argument("--steps", type=int, default=5000, help="steps per model run (default 5000)")
    ap.add_argument("--examples", type=int, default=2000, help="hypothesis examples per test (default 2000)")
    ap.add_argument("--cells", default="gcc-O2", help="guest builds to use, comma-separated (default gcc-O2)")
    ap.add_argument("-j", type=int, default=os.cpu_count() or 1, help="parallel runs (default: the CPU count)")
    ap.add_argument("--stages", default="guests,model,hypothesis,corpus")
    ns = ap.parse_args(argv)
    start = time.monotonic()
    failed = 0
    stages = ns.stages.split(",")
    if "corpus" in stages:
        failed += stage_corpus(ns)
    if "guests" in stages:
        failed += stage_guests(ns)[0]
    if "model" in stages:
        failed += stage_model(ns)[0]
    if "hypothesis" in stages:
        failed += stage_hypothesis(ns)
    print(f"fuzz: {'FAILED' if failed else 'ok'} in {time.monotonic() - start:.0f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
