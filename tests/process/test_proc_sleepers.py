"""Sleepers wake in deadline order, in virtual time, and the whole run is
reproducible (ABI.md section 10): threads, forked children and separate
processes sleeping different durations, run three times each."""

import re

import pytest

from proc_helpers import assert_tap_clean, events, notes, run_cli

DURATIONS = [50, 10, 40, 20, 30]
BY_DEADLINE = [1, 3, 4, 2, 0]  # indices sorted by duration


def _woke(result) -> list[str]:
    return [n[len("woke: "):] for n in notes(result.stdout, "woke: ")]


def test_threads_wake_in_deadline_order(run_guests):
    r = run_guests([("proc_sleepers", "threads")], trace=True, timeout=60)
    assert_tap_clean(r, blocks=1, min_checks=30)
    assert r.status == 0
    assert [int(re.search(r"thread (\d)", w).group(1)) for w in _woke(r)] == BY_DEADLINE
    assert [int(re.search(r"after (\d+) ms", w).group(1)) for w in _woke(r)] == sorted(DURATIONS)
    # the trace agrees: nanosleep resumes come in deadline order, at the deadlines
    resumes = [e for e in events(r, "SYS_NANOSLEEP", pid=1, event="resume")]
    assert len(resumes) == 5
    assert [e["t"] // 1_000_000 for e in resumes] == sorted(DURATIONS)


def test_forked_children_are_reaped_in_deadline_order(run_guests):
    r = run_guests([("proc_sleepers", "fork")], trace=True, timeout=60)
    assert_tap_clean(r, blocks=1, min_checks=20)
    assert r.status == 0 and all(p.status == 0 for p in r.processes)
    assert [int(re.search(r"child (\d)", w).group(1)) for w in _woke(r)] == BY_DEADLINE


def test_processes_wake_in_deadline_order(run_guests):
    specs = [("proc_sleepers", "one", str(ms)) for ms in DURATIONS]
    r = run_guests(specs, trace=True, timeout=60)
    assert r.status == 0 and [p.status for p in r.processes] == [0] * 5
    assert [int(re.search(r"pid (\d)", w).group(1)) for w in _woke(r)] == [i + 1 for i in BY_DEADLINE]


def test_threads_and_processes_share_one_clock(run_guests):
    r = run_guests([("proc_sleepers", "threads"), ("proc_sleepers", "one", "25"), ("proc_sleepers", "one", "5")],
                   trace=True, timeout=60)
    assert r.status == 0, r.report
    who = [re.sub(r" after.*", "", w) for w in _woke(r)]
    assert who == ["pid 3", "thread 1", "thread 3", "pid 2", "thread 4", "thread 2", "thread 0"]


@pytest.mark.parametrize("specs", [
    [("proc_sleepers", "threads")],
    [("proc_sleepers", "fork")],
    [("proc_sleepers", "one", str(ms)) for ms in DURATIONS],
], ids=["threads", "fork", "processes"])
def test_three_runs_give_identical_traces(run_guests, specs):
    runs = [run_guests(specs, trace=True, timeout=60) for _ in range(3)]
    assert runs[0].status == 0
    for other in runs[1:]:
        assert other.stdout == runs[0].stdout
        assert other.status == runs[0].status
        assert other.virtual_ns == runs[0].virtual_ns
        assert other.trace == runs[0].trace


def test_three_cli_runs_give_identical_text_traces():
    args = ["run", "--trace", "--args", "1", "threads", "--args", "2", "fork", "--args", "3", "one 15",
            "proc_sleepers.elf", "proc_sleepers.elf", "proc_sleepers.elf"]
    outs = [run_cli(*args) for _ in range(3)]
    assert outs[0].returncode == 0, outs[0].stderr.decode()[-2000:]
    assert "nanosleep" in outs[0].stderr.decode()
    for p in outs[1:]:
        assert p.returncode == 0
        assert p.stdout == outs[0].stdout
        assert p.stderr == outs[0].stderr
