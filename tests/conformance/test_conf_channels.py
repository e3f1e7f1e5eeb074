"""ABI.md section 6 (channels, 220-224), run by conf_channels (pid 1) and
conf_channels_peer (pid 2): capacity clamp, check order, stamping, flags
not interpreted, close errors, blocking send and receive across processes."""

import pytest

from tests.conformance.conf_tap import assert_conformant, syscalls


@pytest.fixture
def run(run_guests):
    return run_guests(["conf_channels", "conf_channels_peer"], trace=True)


def test_channels_conformance(run):
    assert_conformant(run, guests=2, min_checks=120)


def test_capacity_clamp_in_the_trace(run):
    creates = {e["args"][0]: e["ret"] for e in syscalls(run, "SYS_CHAN_CREATE", pid=1)}
    assert set(creates) >= {0, 1, 4, 5000, 1024, 2**64 - 1}
    assert all(h > 0 for h in creates.values())
    sends = {}
    for e in syscalls(run, "SYS_CHAN_SEND", pid=1):
        if e["ret"] == 0:
            sends[e["args"][0]] = sends.get(e["args"][0], 0) + 1
    assert sends[creates[0]] == 1
    assert sends[creates[5000]] == 1024
    assert sends[creates[2**64 - 1]] == 1024


def test_peer_blocks_in_recv_then_in_send(run):
    recv_blocks = syscalls(run, "SYS_CHAN_RECV", pid=2, event="block")
    send_blocks = syscalls(run, "SYS_CHAN_SEND", pid=2, event="block")
    assert len(recv_blocks) == 1 and len(send_blocks) == 1
    assert "full" in send_blocks[0]["what"]
    assert [e["ret"] for e in syscalls(run, "SYS_CHAN_RECV", pid=2, event="resume")] == [0]
    assert [e["ret"] for e in syscalls(run, "SYS_CHAN_SEND", pid=2, event="resume")] == [0]
