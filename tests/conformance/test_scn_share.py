"""Scenario (c): a channel, a semaphore and a shared ring handed from
scn_share_owner (pid 1) to scn_share_user (pid 2) through IpcMessage.flags
(transfer on reply and on receive; the user's port travels the other way
on a call), then used for ping-pong and for a page of data."""

from tests.conformance.conf_tap import syscalls, tap


def _flags(raw: bytes) -> int:
    return int.from_bytes(raw[12:16], "little")


def _type(raw: bytes) -> int:
    return int.from_bytes(raw[8:12], "little")


def test_share_scenario(run_guests):
    r = run_guests(["scn_share_owner", "scn_share_user"], trace=True)
    assert r.status == 0 and [p.status for p in r.processes] == [0, 0]
    passed, failed, summaries = tap(r.stdout)
    assert not failed and len(summaries) == 2
    out = r.stdout.decode()
    for n in range(1, 6):
        assert f'owner: got "ping {n}"' in out and f'user: got "pong {n}"' in out
    assert "every byte + 1" in out


def test_handles_travel_in_flags(run_guests):
    r = run_guests(["scn_share_owner", "scn_share_user"], trace=True)
    # transfer on reply: the owner names its channel and semaphore, the user gets other numbers
    replies = [e["data"]["msg"] for e in syscalls(r, "SYS_IPC_REPLY", pid=1) if e["ret"] == 0]
    calls = [e["data"]["msg_reply"] for e in syscalls(r, "SYS_IPC_CALL", pid=2, event="resume")]
    assert len(replies) == len(calls) == 2
    for sent, got in zip(replies, calls):
        assert _flags(sent) > 0 and _flags(got) > 0 and _flags(sent) != _flags(got)
    # transfer on receive: the ring to the user's port, the user's port to the owner
    ring_recv = [e["data"]["out"] for e in syscalls(r, "SYS_IPC_RECV", pid=2)
                 if e["event"] in ("syscall", "resume") and e["ret"] == 0]
    ring_send = [e["data"]["msg"] for e in syscalls(r, "SYS_IPC_SEND", pid=1) if e["ret"] == 0]
    assert _type(ring_recv[0]) == 3 and _type(ring_send[0]) == 3
    assert _flags(ring_recv[0]) != _flags(ring_send[0])
    infos = {e["args"][0]: e["data"]["out"]["resource_type"] for e in syscalls(r, "SYS_HANDLE_INFO", pid=2)
             if e["ret"] == 0}
    assert sorted(infos.values()) == [5, 6, 7]  # channel, ring, semaphore
    # both processes mapped the ring
    assert {e["pid"] for e in syscalls(r, "SYS_IPC_RING_MAP") if e["ret"] == 8192} == {1, 2}
