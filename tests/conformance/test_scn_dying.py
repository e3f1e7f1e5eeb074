"""Scenario (d): a client (pid 1) waits in SYS_IPC_CALL while its server
(pid 2, "/srv/dying") goes away: it exits after receiving the request,
exits with the request still queued, or faults writing to NULL. In every
case the call returns 0 with the EPIPE error reply (msg_type 0x80,
payload[0..4] == 32); the run's status reflects a fault (128 + 11)."""

import pytest

from tests.conftest import guest, run_cli
from tests.conformance.conf_tap import syscalls, tap


@pytest.mark.parametrize("mode, status", [("exit", 0), ("exit-early", 0), ("fault", 128 + 11)])
def test_client_gets_the_epipe_error_reply(run_guests, mode, status):
    r = run_guests(["scn_dying_client", ("scn_dying_server", mode)], trace=True)
    assert r.status == status, r.report
    assert r.process(1).status == 0
    passed, failed, summaries = tap(r.stdout)
    assert not failed and summaries == [(passed, 0)]
    blocked = syscalls(r, "SYS_IPC_CALL", pid=1, event="block")
    resumed = syscalls(r, "SYS_IPC_CALL", pid=1, event="resume")
    assert len(blocked) == 1 and [e["ret"] for e in resumed] == [0]
    reply = resumed[0]["data"]["msg_reply"]
    assert int.from_bytes(reply[8:12], "little") == 0x80
    assert int.from_bytes(reply[16:20], "little") == 32
    end = next(e for e in r.trace if e["pid"] == 2 and e["event"] in ("exit", "fault"))
    assert blocked[0]["seq"] < end["seq"] < resumed[0]["seq"]
    if mode == "fault":
        assert r.process(2).signal == 11 and end["event"] == "fault"
    else:
        assert r.process(2).status == 0


def test_fault_status_and_report_on_the_command_line():
    p = run_cli("run", "--args", "2", "fault", guest("scn_dying_client"), guest("scn_dying_server"))
    assert p.returncode == 139
    err = p.stderr.decode()
    assert "task 2 (pid 2, scn_dying_server.elf) killed by SIGSEGV: write to unmapped memory at 0x0" in err
    assert b"client: call returned 0, reply type 0x80, payload errno 32 (EPIPE)" in p.stdout
