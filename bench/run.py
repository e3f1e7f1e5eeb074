"""Benchmarks, side by side with bare Unicorn, qemu-user and native (not part
of `make test`): `make bench`, or `.venv/bin/python bench/run.py [--reps N]
[--json OUT] [--only KEY,...] [--quick]`.

Every workload runs under several runners (bench/runners.py) in one run:
repetitions are interleaved (rep 1 of every workload and runner, then rep
2, ...; the runner order rotates from one repetition to the next), so that
drift of the machine hits every runner alike. Printed and written to the
JSON file (default bench/results.json, git-ignored) and to
build/bench/results.md: per runner the median, min-max, a derived metric
and ratios; then the goals, met or not, measured in this same run.

Workloads (guest_programs/src/bench_*.c, built by the guest Makefile; the
ones without Strat9 IPC also built for Linux by bench/Makefile against the
shim of bench/linux/):
  crc32        bitwise CRC-32 over 1 MiB, 40 passes (compute, register-bound)
  crc32-multi  the same, 4 passes, alone and beside an idle process
               (instruction-counted slices)
  fib          recursive fib(27), 20 times (calls, pushes, pops)
  syscall      syscall_loop: 200k SYS_NULL
  ipc-N        bench_ipc_client -> bench_ipc_server call/reply round trips,
               with N-2 bench_idle processes asleep, N = 2, 16, 128
  chan-1m      1M messages through a channel, producer -> consumer (fork)
  chan-100k    the same with 100k messages, traced and untraced
  ring         1M 64-byte records through a shared ring, semaphores per
               batch of 64
  startup      hello: whole-process wall time
  rss          VmRSS per guest process with 128 processes (bench/rss.py)
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import runners as R  # noqa: E402
from runners import Context, RunnerError, Workload  # noqa: E402

N_SYSCALLS = 200_000
N_CALLS = 20_000
IPC_SYSTEM_SIZES = (2, 16, 128)
N_CHAN = 1_000_000
N_CHAN_SMALL = 100_000
N_RING = 1_000_000
CRC_PASSES = 40
FIB_N, FIB_REPS = 27, 20
RSS_PROCESSES = 128

# Goals of issue 6, checked against this run's medians.
GOAL_COMPUTE_RATIO = 1.10
GOAL_SYSCALL_RATE = 400_000
GOAL_SYSCALL_RATIO = 1.3
GOAL_IPC_US = 35.0
GOAL_IPC_SCALE = 1.2
GOAL_STARTUP_MS = 200.0
GOAL_TRACE_RATIO = 2.0
GOAL_RSS_MIB = 8.0


def workloads(quick: bool) -> list[Workload]:
    q = (lambda full, small: small) if quick else (lambda full, small: full)
    calls = q(N_CALLS, 2000)
    linux_runners = ["bare", "emu", "emu-cli", "native", "qemu"]
    ws = [
        Workload("crc32", "CRC-32 (bitwise), 1 MiB x %d passes" % q(CRC_PASSES, 4),
                 [("bench_crc32", [str(q(CRC_PASSES, 4))])], linux_runners, 1, "time"),
        Workload("crc32-multi", "CRC-32, 1 MiB x 4 passes, alone vs beside an idle process",
                 [("bench_crc32", ["4"])], ["bare", "emu", "emu+idle"], 1, "time"),
        Workload("fib", "fib(%d) x %d, recursive" % (FIB_N, q(FIB_REPS, 2)),
                 [("bench_fib", [str(FIB_N), str(q(FIB_REPS, 2))])], linux_runners + ["emu+idle"], 1, "time"),
        Workload("syscall", "syscall loop: %d SYS_NULL" % q(N_SYSCALLS, 20000),
                 [("syscall_loop", [str(q(N_SYSCALLS, 20000))])],
                 ["bare", "bare-trap", "emu", "emu-trace", "emu-cli", "emu-cli-trace", "native", "qemu"],
                 q(N_SYSCALLS, 20000),
                 "rate", "syscall"),
    ]
    for n in IPC_SYSTEM_SIZES:
        ws.append(Workload(f"ipc-{n}", f"IPC call/reply round trip, {n} processes",
                           [("bench_ipc_server", []), ("bench_ipc_client", [str(calls)])],
                           ["emu", "emu-trace"] if n == 2 else ["emu"], calls, "latency", "round trip", idle=n - 2))
    ws += [
        Workload("chan-1m", "channel stream: %d messages, capacity 64" % q(N_CHAN, 20000),
                 [("bench_chan_stream", [str(q(N_CHAN, 20000))])], ["emu"], q(N_CHAN, 20000), "rate", "message"),
        Workload("chan-100k", "channel stream: %d messages, capacity 64" % q(N_CHAN_SMALL, 5000),
                 [("bench_chan_stream", [str(q(N_CHAN_SMALL, 5000))])], ["emu", "emu-trace"], q(N_CHAN_SMALL, 5000),
                 "rate", "message"),
        Workload("ring", "shared ring: %d x 64-byte records, batches of 64" % q(N_RING, 50000),
                 [("bench_ring_stream", [str(q(N_RING, 50000))])], ["emu", "emu-trace"], q(N_RING, 50000), "rate",
                 "record"),
        Workload("startup", "start-up: hello, whole process", [("hello", [])],
                 ["emu-cli", "emu-cli-trace", "emu-spawn", "python", "python-import", "bare-cli", "native", "qemu"],
                 1, "time"),
    ]
    return ws


# -- machine ------------------------------------------------------------------------


def _cmd_version(cmd: list[str]) -> str | None:
    try:
        out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30).stdout
        return out.splitlines()[0].strip() if out else None
    except (OSError, subprocess.SubprocessError):
        return None


def machine(qemu: str | None) -> dict:
    import unicorn
    model = mhz = None
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name") and model is None:
                model = line.split(":", 1)[1].strip()
            if line.startswith("cpu MHz") and mhz is None:
                mhz = line.split(":", 1)[1].strip()
    except OSError:
        pass
    mem = None
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)),
        "cpu_model": model,
        "cpu_mhz": mhz,
        "memory": mem,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "python_executable": sys.executable,
        "unicorn": unicorn.__version__,
        "qemu": _cmd_version([qemu, "--version"]) if qemu else None,
        "gcc": _cmd_version(["gcc", "--version"]),
        "loadavg_start": os.getloadavg(),
    }


# -- running --------------------------------------------------------------------------


def _norm(w: Workload, out: bytes) -> bytes:
    if w.key == "startup":  # the pid differs between runners
        return b"hello from pid N\n" if out.startswith(b"hello from pid ") else out
    return out


NO_GUEST = {"python", "python-import"}  # runners that run no guest: no output to check


def run_all(ws: list[Workload], ctx: Context, reps: int, verbose: bool) -> None:
    for w in ws:
        w.samples = {r: [] for r in w.runners}
        w.cpu = {r: [] for r in w.runners}
        w.spawn = {r: [] for r in w.runners}
    for rep in range(reps):
        t_rep = time.perf_counter()
        for w in ws:
            k = rep % len(w.runners)
            for r in w.runners[k:] + w.runners[:k]:
                if r in w.failed:
                    continue
                try:
                    sample = R.RUNNERS[r][0](ctx, w)
                except (RunnerError, OSError) as e:  # recorded, the other runners go on
                    w.failed[r] = str(e)
                    print(f"bench: {w.key}/{r} failed: {e}", file=sys.stderr, flush=True)
                    continue
                w.samples[r].append(sample.wall)
                w.cpu[r].append(sample.cpu)
                if sample.spawn is not None:
                    w.spawn[r].append(sample.spawn)
                if verbose:
                    print(f"    rep {rep + 1} {w.key:12} {r:14} {sample.wall * 1000:10.1f} ms "
                          f"(CPU {sample.cpu * 1000:.1f} ms)", flush=True)
                if r in NO_GUEST:
                    continue
                out = _norm(w, sample.stdout)
                ref = w.outputs.setdefault("reference", out)
                if out != ref:
                    w.failed[r] = f"output {out!r} differs from {ref!r}"
                    print(f"bench: {w.key}/{r}: {w.failed[r]}", file=sys.stderr, flush=True)
                w.outputs[r] = out
        print(f"  repetition {rep + 1}/{reps} done in {time.perf_counter() - t_rep:.1f} s "
              f"(load average {os.getloadavg()[0]:.2f})", flush=True)


def run_rss(ctx: Context, n: int) -> dict:
    p = subprocess.run([ctx.python, str(BENCH / "rss.py"), str(ctx.guests), str(n)], cwd=ROOT,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise RunnerError(f"rss probe failed: {p.stderr[-1000:]}")
    return json.loads(p.stdout)


# -- reporting ------------------------------------------------------------------------


def summarise(w: Workload) -> dict:
    rows = {}
    for r, ts in w.samples.items():
        if not ts:
            continue
        med = statistics.median(ts)
        cpu = w.cpu[r]
        row = {"label": R.RUNNERS[r][1], "samples_s": ts, "median_s": med, "min_s": min(ts), "max_s": max(ts),
               "cpu_samples_s": cpu, "cpu_median_s": statistics.median(cpu)}
        if w.metric == "rate":
            row["per_s"] = w.ops / med
        elif w.metric == "latency":
            row["us_per_op"] = med / w.ops * 1e6
            row["min_us_per_op"] = min(ts) / w.ops * 1e6
            row["max_us_per_op"] = max(ts) / w.ops * 1e6
        if w.spawn.get(r):
            row["spawn_median_s"] = statistics.median(w.spawn[r])
        rows[r] = row
    for ref in ("bare", "native", "qemu"):
        if ref in rows:
            for row in rows.values():
                row[f"x_{ref}"] = row["median_s"] / rows[ref]["median_s"]
                row[f"cpu_x_{ref}"] = row["cpu_median_s"] / rows[ref]["cpu_median_s"]
    for r in w.failed:
        rows.pop(r, None)
    return {"title": w.title, "ops": w.ops, "unit": w.unit, "metric": w.metric, "runners": rows, "failed": w.failed,
            "output": w.outputs.get("reference", b"").decode(errors="replace").strip()}


def _fmt_time(s: float) -> str:
    return f"{s * 1000:.1f} ms" if s < 10 else f"{s:.2f} s"


def _metric(w: dict, row: dict) -> str:
    if w["metric"] == "rate":
        v = row["per_s"]
        return f"{v / 1e6:.2f} M {w['unit']}s/s" if v >= 1e6 else f"{v / 1e3:.1f} k {w['unit']}s/s"
    if w["metric"] == "latency":
        return f"{row['us_per_op']:.1f} us/{w['unit']}"
    return ""


def _ratio(row: dict, key: str) -> str:
    return f"{row[key]:.2f}x" if key in row else ""


def table(results: dict) -> list[str]:
    lines = ["| workload | runner | median | min-max | CPU time | metric | x bare | x native | x qemu |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for key, w in results["workloads"].items():
        first = True
        for r, row in w["runners"].items():
            name = f"**{key}**: {w['title']}" if first else ""
            first = False
            rng = f"{_fmt_time(row['min_s'])}-{_fmt_time(row['max_s'])}"
            lines.append(f"| {name} | {row['label']} | {_fmt_time(row['median_s'])} | {rng} | "
                         f"{_fmt_time(row['cpu_median_s'])} | {_metric(w, row)} | "
                         f"{_ratio(row, 'x_bare')} | {_ratio(row, 'x_native')} | {_ratio(row, 'x_qemu')} |")
    return lines


def goals(results: dict) -> list[dict]:
    """Each goal on the wall-time medians of this run (met or not), with the
    same figure on CPU-time medians beside it: on a shared machine the two
    differ by the time other programs took the CPU."""
    W = results["workloads"]
    out = []

    def goal(name, measured, cpu_measured, limit, higher_is_better, fmt):
        def ok(v):
            return v >= limit if higher_is_better else v <= limit
        if measured != measured:  # NaN: a runner it needs failed
            out.append({"goal": name, "measured": None, "measured_cpu": None, "limit": limit, "met": False,
                        "met_cpu": False, "text": "not measured (a runner failed)"})
            return
        out.append({"goal": name, "measured": measured, "measured_cpu": cpu_measured, "limit": limit,
                    "met": bool(ok(measured)), "met_cpu": bool(ok(cpu_measured)),
                    "text": f"{fmt(measured)} (CPU time: {fmt(cpu_measured)}); limit {fmt(limit)}"})

    def t(k, r, cpu=False):
        row = W[k]["runners"].get(r)
        if row is None:  # the runner failed: the goal cannot be judged
            return float("nan")
        return row["cpu_median_s" if cpu else "median_s"]

    def ratio(x):
        return f"{x:.2f}x"

    for k in ("crc32", "fib"):
        if k in W and "bare" in W[k]["runners"]:
            goal(f"{k}: strat9-emu / bare Unicorn", t(k, "emu") / t(k, "bare"),
                 t(k, "emu", True) / t(k, "bare", True), GOAL_COMPUTE_RATIO, False, ratio)
    if "syscall" in W:
        n = W["syscall"]["ops"]
        goal("syscall loop: syscalls/s", n / t("syscall", "emu"), n / t("syscall", "emu", True), GOAL_SYSCALL_RATE,
             True, lambda v: f"{v / 1e3:.0f} k/s")
        goal("syscall loop: strat9-emu / bare Unicorn", t("syscall", "emu") / t("syscall", "bare"),
             t("syscall", "emu", True) / t("syscall", "bare", True), GOAL_SYSCALL_RATIO, False, ratio)
        goal("--trace-file / untraced (syscall loop)", t("syscall", "emu-trace") / t("syscall", "emu"),
             t("syscall", "emu-trace", True) / t("syscall", "emu", True), GOAL_TRACE_RATIO, False, ratio)
    if "ipc-2" in W:
        n = W["ipc-2"]["ops"]
        goal("IPC round trip, 2 processes", t("ipc-2", "emu") / n * 1e6, t("ipc-2", "emu", True) / n * 1e6,
             GOAL_IPC_US, False, lambda v: f"{v:.1f} us")
        big = f"ipc-{IPC_SYSTEM_SIZES[-1]}"
        if big in W:
            goal(f"IPC round trip, {IPC_SYSTEM_SIZES[-1]} / 2 processes", t(big, "emu") / t("ipc-2", "emu"),
                 t(big, "emu", True) / t("ipc-2", "emu", True), GOAL_IPC_SCALE, False, ratio)
    if "startup" in W:
        goal("start-up of hello, whole process", t("startup", "emu-cli") * 1000, t("startup", "emu-cli", True) * 1000,
             GOAL_STARTUP_MS, False, lambda v: f"{v:.0f} ms")
    if results.get("rss"):
        mib = results["rss"]["per_guest_peak_mib"]
        out.append({"goal": f"RSS per guest, {results['rss']['processes']} processes", "measured": mib,
                    "measured_cpu": None, "limit": GOAL_RSS_MIB, "met": mib <= GOAL_RSS_MIB,
                    "met_cpu": mib <= GOAL_RSS_MIB, "text": f"{mib:.2f} MiB; limit {GOAL_RSS_MIB:.0f} MiB"})
    return out


def render(results: dict) -> list[str]:
    m = results["machine"]
    lines = [f"Run {results['started']}, {results['reps']} repetitions, {results['duration_s']:.0f} s; "
             f"command: `{results['command']}`",
             f"Machine: {m['nproc']} CPUs ({m['cpu_model']}), Linux {m['kernel']}, Python {m['python']}, "
             f"Unicorn {m['unicorn']}, {m['qemu'] or 'no qemu-x86_64'}, {m['gcc']}; "
             f"load average {m['loadavg_start'][0]:.2f} at start, {m['loadavg_end'][0]:.2f} at the end", ""]
    lines += table(results)
    for key, w in results["workloads"].items():
        for r, err in w.get("failed", {}).items():
            lines.append(f"\n**{key} / {r} failed**: {err}")
    if results.get("rss"):
        r = results["rss"]
        lines += ["", f"RSS with {r['processes']} processes in one system: baseline {r['baseline_mib']:.1f} MiB, "
                      f"after spawning {r['after_spawn_mib']:.1f} MiB, peak {r['peak_mib']:.1f} MiB, "
                      f"after the run {r['after_run_mib']:.1f} MiB: "
                      f"{r['per_guest_peak_mib']:.2f} MiB per guest at the peak "
                      f"({r['per_guest_spawned_mib']:.2f} MiB once spawned)."]
    lines += ["", "| goal | measured (median wall time; CPU time) | met |", "|---|---|---|"]
    for g in results["goals"]:
        verdict = "met" if g["met"] else "**not met**"
        if g["met_cpu"] != g["met"]:
            verdict += " (on CPU time: " + ("met" if g["met_cpu"] else "not met") + ")"
        lines.append(f"| {g['goal']} | {g['text']} | {verdict} |")
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--json", default=str(BENCH / "results.json"))
    ap.add_argument("--markdown", default=str(ROOT / "build" / "bench" / "results.md"))
    ap.add_argument("--guests", default=str(ROOT / "build" / "guests" / "gcc-O2"))
    ap.add_argument("--only", help="comma-separated workload keys (and 'rss')")
    ap.add_argument("--quick", action="store_true", help="small sizes, for trying the harness")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every sample")
    ns = ap.parse_args()

    t0 = time.perf_counter()
    started = datetime.datetime.now().isoformat(timespec="seconds")
    subprocess.run(["make", "-s", "--no-print-directory", "-C", str(BENCH)], check=True)
    qemu = shutil.which("qemu-x86_64")
    ctx = Context(Path(ns.guests), qemu=qemu)
    ws = workloads(ns.quick)
    only = set(ns.only.split(",")) if ns.only else None
    if only:
        ws = [w for w in ws if w.key in only]
    if qemu is None:
        print("bench: qemu-x86_64 not found (Debian package qemu-user): its runner is skipped", file=sys.stderr)
        for w in ws:
            w.runners = [r for r in w.runners if r != "qemu"]
    results = {"schema": 1, "started": started, "reps": ns.reps,
               "command": " ".join([Path(sys.executable).name, "bench/run.py", *sys.argv[1:]]),
               "machine": machine(qemu)}
    print(f"bench: {len(ws)} workloads, {ns.reps} repetitions, interleaved", flush=True)
    run_all(ws, ctx, ns.reps, ns.verbose)
    rss = None
    if only is None or "rss" in only:
        samples = [run_rss(ctx, RSS_PROCESSES) for _ in range(1 if ns.quick else 3)]
        rss = dict(sorted(samples, key=lambda s: s["per_guest_peak_mib"])[len(samples) // 2])  # median probe
        rss["samples_per_guest_peak_mib"] = [s["per_guest_peak_mib"] for s in samples]
    results["workloads"] = {w.key: summarise(w) for w in ws}
    results["rss"] = rss
    results["machine"]["loadavg_end"] = os.getloadavg()
    results["duration_s"] = time.perf_counter() - t0
    results["goals"] = goals(results)
    lines = render(results)
    print("\n".join(lines))
    Path(ns.json).write_text(json.dumps(results, indent=2) + "\n")
    Path(ns.markdown).parent.mkdir(parents=True, exist_ok=True)
    Path(ns.markdown).write_text("\n".join(lines) + "\n")
    print(f"\nbench: written {ns.json} and {ns.markdown}")
    failed = [f"{w.key}/{r}: {e}" for w in ws for r, e in w.failed.items()]
    if failed:
        print("bench: FAILED runners:\n  " + "\n  ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
