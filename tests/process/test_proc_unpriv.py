"""An unprivileged process (pid 2), its thread and its forked child get
EPERM for bind, unbind and the console and EBADF for unknown handles; they
report through the admin proc_unpriv_log (pid 1)."""

import pytest

from proc_helpers import completed, forked, tap


@pytest.fixture
def run(run_guests):
    return run_guests(["proc_unpriv_log", "proc_unpriv"], unprivileged=(2,), trace=True, timeout=60)


def test_unprivileged_checks_pass(run):
    passed, failed, summaries = tap(run.stdout)
    assert not failed, "\n".join(failed)
    assert summaries == [(passed, 0)] and passed >= 75
    assert run.reason == "exited" and run.status == 0, run.report
    assert [p.status for p in run.processes] == [0, 0, 0]


def test_every_task_of_the_process_reported(run):
    text = run.stdout.decode()
    (child,) = forked(run, ppid=2)
    threads = [e["tid"] for e in run.trace if e["event"] == "thread_start" and e["pid"] == 2]
    assert len(threads) == 1
    for tid in (2, threads[0], child):
        assert f"[task {tid}, " in text, tid


def test_privilege_is_per_process_and_inherited(run):
    starts = {e["pid"]: e["admin"] for e in run.trace if e["event"] == "process_start"}
    (child,) = forked(run, ppid=2)
    assert starts == {1: True, 2: False, child: False}
    for pid in (2, child):
        binds = completed(run, "SYS_IPC_BIND_PORT", pid=pid)
        assert len(binds) >= 3 and all(e["errno"] == "EPERM" for e in binds)
        closes = [e for e in completed(run, "SYS_HANDLE_CLOSE", pid=pid) if e["args"][0] == 0x7FFFFFF0]
        assert closes and all(e["errno"] == "EBADF" for e in closes)
    # the thread's own calls
    tid = next(e["tid"] for e in run.trace if e["event"] == "thread_start" and e["pid"] == 2)
    assert all(e["errno"] == "EPERM" for e in completed(run, "SYS_IPC_BIND_PORT", pid=2, tid=tid))
    assert completed(run, "SYS_IPC_BIND_PORT", pid=2, tid=tid)


def test_unprivileged_writes_reach_no_console(run):
    writes = completed(run, "SYS_WRITE", pid=2)
    assert writes and all(e["errno"] == "EPERM" for e in writes)
    assert b"unprivileged console line" not in run.stdout + run.stderr
    assert b"[user-debug] hello" not in run.stdout + run.stderr
