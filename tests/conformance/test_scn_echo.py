"""Scenario (a): an echo server bound at "/srv/echo" and several clients
using SYS_IPC_CALL. The clients start first (pids 1-3) and retry
SYS_IPC_CONNECT while it gives ENOENT; the server (pid 4) replies with the
payload upper-cased, which each client checks."""

import re

import pytest

from tests.conformance.conf_tap import syscalls, tap


@pytest.fixture
def run(run_guests):
    return run_guests(["scn_echo_client", "scn_echo_client", "scn_echo_client", "scn_echo_server"], trace=True)


def test_every_client_gets_its_payload_upper_cased(run):
    assert run.status == 0 and run.reason == "exited"
    assert [p.status for p in run.processes] == [0, 0, 0, 0]
    passed, failed, summaries = tap(run.stdout)
    assert not failed and len(summaries) == 3
    out = run.stdout.decode()
    for pid in (1, 2, 3):
        for i in range(1, 5):
            assert f'client {pid}: reply "CLIENT {pid} SAYS HELLO #{i}"\n' in out
            assert f'echo server: [{pid}] "client {pid} says hello #{i}" -> "CLIENT {pid} SAYS HELLO #{i}"' in out
    assert "echo server: served 12 requests, done" in out


def test_clients_retried_connect_while_enoent(run):
    for pid in (1, 2, 3):
        rets = [e["ret"] for e in syscalls(run, "SYS_IPC_CONNECT", pid=pid)]
        assert rets[0] == -2 and rets[-1] > 0, rets
        assert all(r == -2 for r in rets[:-1])
        # a yield between two tries
        yields = syscalls(run, "SYS_PROC_YIELD", pid=pid)
        assert len(yields) >= len(rets) - 1


def test_calls_block_until_the_server_replies(run):
    for pid in (1, 2, 3):
        blocked = syscalls(run, "SYS_IPC_CALL", pid=pid, event="block")
        assert len(blocked) == 5  # 4 echoes and the bye
        replies = [e["data"]["msg_reply"] for e in syscalls(run, "SYS_IPC_CALL", pid=pid, event="resume")]
        texts = [r[16:].rstrip(b"\0").decode() for r in replies[:4]]
        assert texts == [f"CLIENT {pid} SAYS HELLO #{i}" for i in range(1, 5)]


def test_more_calls_and_fewer_clients(run_guests):
    r = run_guests([("scn_echo_client", "7"), ("scn_echo_server", "2"), ("scn_echo_client", "3")])
    assert r.status == 0
    out = r.stdout.decode()
    assert "echo server: served 10 requests, done" in out
    assert re.search(r'^client 3: reply "CLIENT 3 SAYS HELLO #3"$', out, re.M)
