"""ABI.md sections 4 and 5, object lifetime, run by conf_lifetime (pid 1)
and conf_lifetime_peer (pid 2): objects live while any process holds a
handle, a port lives until its owner exits even when a non-owner closed its
last handle, the owner's exit gives EPIPE to a blocked sender, EBADF through
remaining handles and the EPIPE error reply to senders of queued messages.
The EPIPE of tasks blocked on an object whose last handle is closed is
checked with threads of pid 1 (the main thread's tid is 1)."""

import pytest

from tests.conformance.conf_tap import assert_conformant, syscalls


@pytest.fixture
def run(run_guests):
    return run_guests(["conf_lifetime", "conf_lifetime_peer"], trace=True)


def test_lifetime_conformance(run):
    assert_conformant(run, guests=2, min_checks=40)


def test_owner_exit_fails_the_blocked_sender_with_epipe(run):
    blocked = [e for e in syscalls(run, "SYS_IPC_SEND", pid=1, event="block") if e["tid"] == 1]
    assert len(blocked) == 1
    resumed = [e for e in syscalls(run, "SYS_IPC_SEND", pid=1, event="resume") if e["tid"] == 1]
    assert [(e["ret"], e["errno"]) for e in resumed] == [(-32, "EPIPE")]
    exit_seq = next(e["seq"] for e in run.trace if e["event"] == "exit" and e["pid"] == 2)
    assert blocked[0]["seq"] < exit_seq < resumed[0]["seq"]


def test_queued_senders_get_the_epipe_error_reply(run):
    calls = [e for e in syscalls(run, "SYS_IPC_CALL", pid=1) if e["event"] != "block" and e["tid"] == 1]
    assert len(calls) == 1 and calls[0]["event"] == "syscall"  # it did not block
    reply = calls[0]["data"]["msg_reply"]
    assert int.from_bytes(reply[8:12], "little") == 0x80
    assert int.from_bytes(reply[16:20], "little") == 32


def test_last_close_wakes_blocked_threads_with_epipe(run):
    assert b"SKIP threads" not in run.stdout
    assert b"not ok" not in run.stdout
    for name in ("SYS_CHAN_RECV", "SYS_CHAN_SEND", "SYS_SEM_WAIT", "SYS_IPC_RECV", "SYS_HANDLE_WAIT"):
        assert any(e["errno"] == "EPIPE" for e in syscalls(run, name, pid=1, event="resume")), name
