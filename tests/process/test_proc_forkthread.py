"""fork from a multi-threaded process copies only the calling thread
(proc_forkthread): the child's one thread is its first (tid == pid), runs
in the forking thread's context (stack, fs base); the parent's other
threads are not copied; a fault in any thread of a child kills the child
(waitpid status 11)."""

import pytest

from proc_helpers import assert_tap_clean, completed, events, forked


@pytest.fixture
def run(run_guests):
    return run_guests(["proc_forkthread"], trace=True, timeout=60)


def test_forkthread_checks_pass(run):
    assert_tap_clean(run, blocks=2, min_checks=24)
    assert run.reason == "exited" and run.process(1).status == 0, run.report


def test_fork_from_a_second_thread(run):
    forks = completed(run, "SYS_PROC_FORK", pid=1)
    assert len(forks) == 2
    assert forks[0]["tid"] != 1  # made by the second thread
    child = forks[0]["ret"]
    assert forked(run, ppid=1) == [forks[0]["ret"], forks[1]["ret"]]
    # only one task of the copy ran until it made its own thread
    child_tids = {e["tid"] for e in run.trace if e.get("pid") == child and e["event"] in ("syscall", "block", "resume")}
    started = {e["tid"] for e in run.trace if e["event"] == "thread_start" and e["pid"] == child}
    assert child_tids == {child} | started and len(started) == 1
    assert run.process(child).exit_code == 0


def test_a_fault_in_a_childs_thread_kills_the_child(run):
    child = completed(run, "SYS_PROC_FORK", pid=1)[1]["ret"]
    p = run.process(child)
    assert p.signal == 11 and p.status == 139
    faults = [e for e in run.trace if e["event"] == "fault" and e["pid"] == child]
    assert len(faults) == 1 and faults[0]["tid"] != child  # the second thread faulted
    assert "0x20" in p.report
    # the child's first thread, blocked in join, never came back
    assert events(run, "SYS_THREAD_JOIN", pid=child, event="resume") == []
    waits = [e for e in completed(run, "SYS_PROC_WAITPID", pid=1) if e["ret"] == child]
    assert len(waits) == 1 and waits[0]["data"]["status"] == 11
