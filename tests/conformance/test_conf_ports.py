"""ABI.md section 5, port rows 200 (create), 201 (send), 202 (recv) and 207
(try_recv), run by conf_ports (pid 1) and conf_ports_peer (pid 2): FIFO of
16, sender stamping, blocking send/recv, EPIPE and EBADF after the owner's
exit, every listed error in upstream check order."""

import pytest

from tests.conformance.conf_tap import assert_conformant, syscalls


@pytest.fixture
def run(run_guests):
    return run_guests(["conf_ports", "conf_ports_peer"], trace=True)


def test_ports_conformance(run):
    assert_conformant(run, guests=2, min_checks=110)


def test_the_17th_send_blocks_until_a_receive(run):
    blocked = syscalls(run, "SYS_IPC_SEND", pid=2, event="block")
    assert len(blocked) == 1
    assert "queue full" in blocked[0]["what"]
    resumed = syscalls(run, "SYS_IPC_SEND", pid=2, event="resume")
    assert [e["ret"] for e in resumed] == [0]
    # it was unblocked by pid 1's first receive of the flood
    seq_block, seq_resume = blocked[0]["seq"], resumed[0]["seq"]
    recvs = [e for e in syscalls(run, "SYS_IPC_RECV", pid=1) if seq_block < e["seq"] < seq_resume]
    assert recvs


def test_recv_blocks_then_gets_epipe_on_owner_exit(run):
    blocked = syscalls(run, "SYS_IPC_RECV", pid=1, event="block")
    # waiting for HELLO, (maybe) for the 17th flood message, then on the peer's port
    assert len(blocked) >= 2
    resumed = syscalls(run, "SYS_IPC_RECV", pid=1, event="resume")
    assert [e["ret"] for e in resumed[:-1]] == [0] * (len(resumed) - 1)
    assert resumed[-1]["ret"] == -32 and resumed[-1]["errno"] == "EPIPE"
    exit_seq = next(e["seq"] for e in run.trace if e["event"] == "exit" and e["pid"] == 2)
    assert blocked[-1]["seq"] < exit_seq < resumed[-1]["seq"]


def test_sender_is_stamped_with_the_sender_pid(run):
    got = [e for e in syscalls(run, "SYS_IPC_RECV", pid=1) if e["event"] in ("syscall", "resume")
           and e["ret"] == 0 and "out" in e.get("data", {})]
    senders = {int.from_bytes(e["data"]["out"][:8], "little") for e in got}
    assert senders == {1, 2}
