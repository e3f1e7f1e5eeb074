"""Scenario (b): a producer (pid 1) pushes 40 messages through the
consumer's one 16-slot port (pid 2, bound at "/srv/pipe"): the order is
kept and the producer really blocks on the full port (`<unfinished ...>`
on ipc_send for pid 1 in the trace)."""

import re

from tests.conftest import guest, run_cli
from tests.conformance.conf_tap import syscalls, tap


def test_order_kept_and_producer_blocks(run_guests):
    r = run_guests(["scn_pipe_producer", "scn_pipe_consumer"], trace=True)
    assert r.status == 0 and [p.status for p in r.processes] == [0, 0]
    passed, failed, summaries = tap(r.stdout)
    assert not failed and summaries == [(passed, 0)]
    sends = [e for e in syscalls(r, "SYS_IPC_SEND", pid=1) if e["event"] in ("syscall", "resume")]
    assert len(sends) == 40 and all(e["ret"] == 0 for e in sends)
    blocked = syscalls(r, "SYS_IPC_SEND", pid=1, event="block")
    assert len(blocked) >= 2
    # the first block is on the 17th message (payload sequence number 16)
    assert int.from_bytes(blocked[0]["data"]["msg"][16:20], "little") == 16
    got = [int.from_bytes(e["data"]["out"][16:20], "little") for e in syscalls(r, "SYS_IPC_RECV", pid=2)
           if e["event"] in ("syscall", "resume")]
    assert got == list(range(40))


def test_text_trace_shows_the_blocked_send():
    p = run_cli("run", "--trace", guest("scn_pipe_producer"), guest("scn_pipe_consumer"))
    assert p.returncode == 0, p.stderr.decode()
    err = p.stderr.decode()
    unfinished = re.findall(r"^\[1\] ipc_send\(.*\) <unfinished \.\.\.>$", err, re.M)
    resumed = re.findall(r"^\[1\] <\.\.\. ipc_send resumed> .* = 0$", err, re.M)
    assert unfinished and len(unfinished) == len(resumed)
    assert 'item 16"}) <unfinished ...>' in unfinished[0]
    assert b"producer: all 40 sent" in p.stdout
