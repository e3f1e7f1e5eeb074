"""The guest syscall fuzzer (guest_programs/src/fuzz_syscalls.c) under the
emulator: a deterministic stream of valid and invalid calls per seed, alone
and as several processes that call, send to and transfer handles to each
other's servers (one of them unprivileged). Every run must end cleanly
(exit 0: no anomaly seen by the guests, no deadlock, no internal error),
with a complete trace, and the same seed must give the same trace.

`make fuzz` (tools/fuzz.py) runs many more seeds and longer streams.
"""

from __future__ import annotations

import json
import re

import pytest

from emu import System, Tracer
from tests.conftest import guest, run_cli

SUMMARY = re.compile(rb"fuzz_syscalls\[(\d+)\]: seed (\d+): (\d+) calls, (\d+) errors, (\d+) blocking calls "
                     rb"completed, (\d+) anomalies")


def run_fuzzers(seed: int, count: int, nprocs: int, unprivileged=(), trace: bool = True):
    system = System(tracer=Tracer() if trace else None, timeout=120)
    for i in range(1, nprocs + 1):
        system.spawn(guest("fuzz_syscalls"), argv=["fuzz_syscalls", str(seed), str(count), str(nprocs)],
                     admin=i not in unprivileged)
    return system.run()


def assert_clean(r, nprocs: int, unprivileged=()) -> list[tuple]:
    out = r.stdout.decode(errors="replace")
    assert r.reason == "exited", r.report + out[-2000:]
    assert r.status == 0, out[-3000:]
    assert "anomaly" not in out, out
    for p in r.processes:
        assert p.exit_code == 0 and p.signal is None, p
    summaries = SUMMARY.findall(r.stdout)
    assert sorted(int(s[0]) for s in summaries) == [i for i in range(1, nprocs + 1) if i not in unprivileged]
    assert all(int(s[5]) == 0 for s in summaries)
    if r.trace:
        assert r.trace[-1]["event"] == "run_end" and r.trace[-1]["status"] == 0
    return summaries


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_fuzzer_alone(seed):
    r = run_fuzzers(seed, 4000, 1, trace=False)
    (summary,) = assert_clean(r, 1)
    calls, errors, blocking = int(summary[2]), int(summary[3]), int(summary[4])
    assert calls >= 4000 and 400 < errors < calls and blocking > 100


@pytest.mark.parametrize("seed,nprocs,unprivileged", [(11, 3, (2,)), (12, 4, ()), (13, 2, (1,)), (14, 5, (3, 5))])
def test_fuzzers_together(seed, nprocs, unprivileged):
    r = run_fuzzers(seed, 3000, nprocs, unprivileged)
    assert_clean(r, nprocs, unprivileged)
    # They did reach each other: calls from one process served by another.
    served = [e for e in r.trace if e["event"] in ("syscall", "resume") and e["name"] == "SYS_IPC_REPLY"
              and e["ret"] == 0 and (e["args"] or [0])[0]]
    assert served
    threads = [e for e in r.trace if e["event"] == "thread_start"]
    assert len(threads) >= nprocs  # the servers, and workers


def test_same_seed_same_trace():
    a = run_fuzzers(21, 1000, 2)
    b = run_fuzzers(21, 1000, 2)
    assert_clean(a, 2)
    assert a.trace == b.trace and a.stdout == b.stdout


def test_cli_run_with_jsonl_trace(tmp_path):
    """As a user runs it: every JSONL line is JSON and the last is run_end."""
    trace = tmp_path / "fuzz.jsonl"
    p = run_cli("run", "--trace-file", str(trace), "--trace-out", str(tmp_path / "fuzz.txt"),
                "--args", "1", "31 1500 2", "--args", "2", "31 1500 2", guest("fuzz_syscalls"),
                guest("fuzz_syscalls"))
    assert p.returncode == 0, p.stderr.decode()[-2000:]
    assert "Traceback" not in p.stderr.decode()
    events = [json.loads(line) for line in trace.read_text().splitlines()]
    assert events[0]["schema"] == "strat9-trace"
    assert events[-1]["event"] == "run_end" and events[-1]["status"] == 0
    assert [e["seq"] for e in events[1:]] == list(range(1, len(events)))
    lines = (tmp_path / "fuzz.txt").read_text().splitlines()
    assert len(lines) >= len(events) // 2
