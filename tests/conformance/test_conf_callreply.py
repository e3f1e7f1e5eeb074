"""ABI.md section 5 rows 203 (SYS_IPC_CALL) and 204 (SYS_IPC_REPLY), run by
conf_callreply (pid 1, the server) and conf_callreply_peer (pid 2): errors
in check order, the one reply slot per task (a reply to a task that is not
waiting is kept for its next call), transfer on call and reply, calls that
block for the reply and for room in a full port."""

import pytest

from tests.conformance.conf_tap import assert_conformant, syscalls


@pytest.fixture
def run(run_guests):
    return run_guests(["conf_callreply", "conf_callreply_peer"], trace=True)


def _msg_type(raw: bytes) -> int:
    return int.from_bytes(raw[8:12], "little")


def test_callreply_conformance(run):
    assert_conformant(run, guests=2, min_checks=130)


def test_peer_calls_block_except_the_one_with_a_kept_reply(run):
    calls = [e for e in syscalls(run, "SYS_IPC_CALL", pid=2) if e["event"] != "block"]
    done = [e for e in calls if e["ret"] == 0]
    assert len(done) == 4
    kinds = [e["event"] for e in done]
    # echo, transfer and full-port calls waited; the call after the early reply did not
    assert kinds == ["resume", "resume", "syscall", "resume"]
    assert _msg_type(done[2]["data"]["msg_reply"]) == 0x13  # EARLY


def test_call_into_a_full_port_blocks_on_the_queue_first(run):
    blocks = syscalls(run, "SYS_IPC_CALL", pid=2, event="block")
    assert "queue full" in blocks[-1]["what"]
    assert all("waiting for a reply" in b["what"] for b in blocks[:-1])


def test_transfer_rewrites_flags_on_receive_and_reply(run):
    xfer = [e for e in syscalls(run, "SYS_IPC_CALL", pid=2) if e["event"] == "resume"][1]
    reply = xfer["data"]["msg_reply"]
    new_chan = int.from_bytes(reply[12:16], "little")
    sent = [e for e in syscalls(run, "SYS_IPC_REPLY", pid=1)
            if e["ret"] == 0 and _msg_type(e["data"]["msg"]) == 0x1011]
    assert len(sent) == 1
    server_chan = int.from_bytes(sent[0]["data"]["msg"][12:16], "little")
    assert new_chan > 0 and server_chan > 0 and new_chan != server_chan
