"""A port copied by fork stays owned by its creator (proc_forkport): the
child's copy works, survives the parent's close of its own handle, and
fails once the owner exits (blocked recv: EPIPE; send, connect: EBADF);
the child's own port lives on."""

import pytest

from proc_helpers import assert_tap_clean, completed, events, forked


@pytest.fixture
def run(run_guests):
    return run_guests(["proc_forkport"], trace=True, timeout=60)


def test_forkport_checks_pass(run):
    assert_tap_clean(run, blocks=2, min_checks=40)
    assert run.reason == "exited" and run.status == 0, run.report
    (child,) = forked(run, ppid=1)
    assert run.process(child).status == 0


def test_owner_exit_wakes_the_childs_recv_with_epipe(run):
    (child,) = forked(run, ppid=1)
    blocked = events(run, "SYS_IPC_RECV", pid=child, event="block")
    resumed = events(run, "SYS_IPC_RECV", pid=child, event="resume")
    assert len(blocked) == 1 and [e["errno"] for e in resumed] == ["EPIPE"]
    parent_exit = next(e for e in run.trace if e["event"] == "exit" and e["pid"] == 1)
    assert blocked[0]["seq"] < parent_exit["seq"] < resumed[0]["seq"]
    port_h = completed(run, "SYS_IPC_CREATE_PORT", pid=1)[0]["ret"]
    assert blocked[0]["args"][0] == port_h  # the parent's number, in the child
