"""Failure in the middle of a run: a server that faults while clients wait
in SYS_IPC_CALL on its port, a process that exits holding the last handles
of objects other processes' threads are blocked on, a deadlock left behind
by such an exit, a time or instruction limit while a call is pending, and
an internal error of the emulator. In every case: the exit status of the
README, a report that gives every task's final state (the run's report for
deadlocks and limits, the fault report and `RunResult.processes` for
faults), and a JSONL trace that is complete: valid JSON line by line up to
its last event, `run_end`."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import guest, run_cli


def run_traced(tmp_path, *args: str):
    """`strat9-emu run --trace-file ... ARGS`: the process and the trace events."""
    trace = tmp_path / "trace.jsonl"
    p = run_cli("run", "--trace-file", str(trace), *args)
    return p, check_jsonl(trace)


def check_jsonl(path) -> list[dict]:
    """Every line is JSON: the schema header, events numbered 1..n, run_end last."""
    lines = path.read_text().splitlines()
    events = [json.loads(line) for line in lines]
    assert events[0]["schema"] == "strat9-trace"
    assert [e["seq"] for e in events[1:]] == list(range(1, len(events)))
    assert all(e["event"] != "run_end" for e in events[1:-1])
    assert events[-1]["event"] == "run_end"
    return events[1:]


def events_of(events, pid: int, kind: str | None = None, name: str | None = None) -> list[dict]:
    return [e for e in events if e["pid"] == pid and (kind is None or e["event"] == kind)
            and (name is None or e.get("name") == name)]


def no_traceback(p) -> str:
    err = p.stderr.decode(errors="replace")
    assert "Traceback" not in err and "internal error" not in err, err
    return err


# -- a process exits holding the last handles of objects others wait on ---------------------------

def test_holder_exit_leaves_a_deadlock_when_the_waiter_keeps_its_handles(tmp_path):
    """The waiter keeps its copies: the objects outlive the holder and its
    threads wait for ever. The deadlock report gives every task's final
    state, the exited holder's too."""
    p, events = run_traced(tmp_path, "--args", "2", "keep", guest("fail_holder"), guest("fail_waiter"))
    err = no_traceback(p)
    assert p.returncode == 125, err
    report = err[err.index("strat9-emu: deadlock"):].splitlines()
    assert report[1:] == [
        "  task 1 (pid 1, fail_holder.elf): exited with 7",
        "  task 2 (pid 2, fail_waiter.elf): thread_join on task 3",
        report[3], report[4]]
    assert re.fullmatch(r"  task 3 \(pid 2, fail_waiter\.elf\): sem_wait on h=\d+ \(semaphore #1, count 0\)", report[3])
    assert re.fullmatch(r"  task 4 \(pid 2, fail_waiter\.elf\): chan_recv on h=\d+ \(channel #1\)", report[4])
    assert events[-1] == {**events[-1], "reason": "deadlock", "status": 125}


def test_deadlock_final_states(run_guests):
    r = run_guests(["fail_holder", ("fail_waiter", "keep")])
    assert r.reason == "deadlock" and r.status == 125
    assert [(p.pid, p.state, p.exit_code) for p in r.processes] == [(1, "exited", 7), (2, "blocked", None)]
    assert "task 1 (pid 1, fail_holder.elf): exited with 7" in r.report


# -- a limit while a call is pending ----------------------------------------------------------------

@pytest.mark.parametrize("mode", ["spin", "syscalls"])
def test_timeout_while_a_call_waits(tmp_path, mode):
    """--timeout ends the run while the server loops (with or without
    syscalls) and its client waits for the answer; a third process had
    already exited, a fourth had faulted."""
    p, events = run_traced(tmp_path, "--timeout", "1", "--args", "1", mode, "--args", "2", "/fail/spin",
                           guest("fail_spin"), guest("fail_client"), guest("hello"), guest("fault_null"))
    err = no_traceback(p)
    assert p.returncode == 124, err
    report = err[err.index("strat9-emu: stopped"):].splitlines()
    assert report == ["strat9-emu: stopped: time limit of 1 s reached",
                      "  task 1 (pid 1, fail_spin.elf): runnable",
                      "  task 2 (pid 2, fail_client.elf): ipc_call: waiting for a reply from task 1",
                      "  task 3 (pid 3, hello.elf): exited with 0",
                      "  task 4 (pid 4, fault_null.elf): killed by SIGSEGV"]
    assert events_of(events, 2, "block", "SYS_IPC_CALL") and not events_of(events, 2, "resume")
    assert events[-1] == {**events[-1], "reason": "timeout", "status": 124}
