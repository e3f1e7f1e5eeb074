"""ABI.md section 3 applied to the IPC calls: conf_unpriv runs unprivileged
(pid 2) and reports every check through the admin conf_unpriv_peer (pid 1),
since an unprivileged task has no console. Unknown handles fail with EBADF
before any other check, bind/unbind and SYS_DEBUG_LOG with EPERM; its own
handles work as for an admin task."""

from tests.conformance.conf_tap import syscalls, tap


def test_unprivileged_conformance(run_guests):
    r = run_guests(["conf_unpriv_peer", "conf_unpriv"], unprivileged=(2,), trace=True)
    passed, failed, summaries = tap(r.stdout)
    assert not failed, "\n".join(failed)
    assert summaries == [(passed, 0)] and passed >= 50
    assert r.status == 0 and [p.status for p in r.processes] == [0, 0]
    starts = {e["pid"]: e["admin"] for e in r.trace if e["event"] == "process_start"}
    assert starts == {1: True, 2: False}


def test_admin_and_unprivileged_differ_in_check_order(run_guests):
    unpriv = run_guests(["conf_unpriv_peer", "conf_unpriv"], unprivileged=(2,), trace=True)
    info = [e for e in syscalls(unpriv, "SYS_HANDLE_INFO", pid=2) if e["args"] == [0x7FFFFFF0, 0]]
    assert [e["errno"] for e in info] == ["EBADF"]  # an admin task gets EFAULT here (conf_handles)
    binds = syscalls(unpriv, "SYS_IPC_BIND_PORT", pid=2)
    assert binds and all(e["errno"] == "EPERM" for e in binds)
