"""The IPC demo of `make demo`: demo_ipc_server (pid 1, echo at "/srv/echo"),
demo_ipc_client (pid 2, three echo calls) and demo_ipc_sharer (pid 3, echo
calls, then a shared ring and a channel exchanged through msg.flags):
    strat9-emu run --trace demo_ipc_server.elf demo_ipc_client.elf demo_ipc_sharer.elf
"""

from tests.conftest import guest, run_cli

DEMO = ("demo_ipc_server", "demo_ipc_client", "demo_ipc_sharer")


def test_demo_runs_and_reads_well():
    p = run_cli("run", "--trace", *[guest(n) for n in DEMO])
    assert p.returncode == 0, p.stderr.decode()[-2000:]
    out = p.stdout.decode()
    for line in ('[client 2] "hello" -> "HELLO"', '[client 2] "strat9 ipc" -> "STRAT9 IPC"',
                 '[client 2] "goodbye" -> "GOODBYE"',
                 '[sharer 3] "sharing is caring" -> "SHARING IS CARING"',
                 '[sharer 3] channel says "done: 44 bytes"; the ring now reads '
                 '"A SHARED RING IS ONE MEMORY IN TWO PROCESSES"',
                 "[server] all clients gone, exiting"):
        assert line in out, line
    assert len(out.splitlines()) < 30  # short
    err = p.stderr.decode()
    assert "[3] ipc_ring_map(h=" in err and "[1] ipc_ring_map(h=" in err
    assert len(err.splitlines()) < 150


def test_demo_is_deterministic():
    a = run_cli("run", "--trace", *[guest(n) for n in DEMO])
    b = run_cli("run", "--trace", *[guest(n) for n in DEMO])
    assert a.returncode == b.returncode == 0
    assert a.stdout == b.stdout and a.stderr == b.stderr


def test_demo_hands_over_the_ring_and_the_channel(run_guests):
    r = run_guests(list(DEMO), trace=True)
    assert r.status == 0
    calls = [e for e in r.trace if e.get("name") == "SYS_IPC_CALL" and e["pid"] == 3 and e["event"] == "resume"]
    share = [e for e in calls if int.from_bytes(e["data"]["msg_reply"][8:12], "little") == 0x102]
    assert len(share) == 1
    assert int.from_bytes(share[0]["data"]["msg_reply"][12:16], "little") > 0  # the channel, transferred
