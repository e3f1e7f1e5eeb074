"""ABI.md section 5, handle transfer on receive (recv / try_recv), run by
conf_transfer (pid 1) and conf_transfer_peer (pid 2): flags rewritten to a
new handle with the same permissions, EPERM without the handle or grant,
EBADF when the sender is gone, the message lost on those errors."""

from tests.conformance.conf_tap import assert_conformant, syscalls


def test_transfer_conformance(run_guests):
    r = run_guests(["conf_transfer", "conf_transfer_peer"], trace=True)
    assert_conformant(r, guests=2, min_checks=65)


def test_flags_are_rewritten_on_receive(run_guests):
    r = run_guests(["conf_transfer", "conf_transfer_peer"], trace=True)
    sent = {int.from_bytes(e["data"]["msg"][8:12], "little"): int.from_bytes(e["data"]["msg"][12:16], "little")
            for e in syscalls(r, "SYS_IPC_SEND", pid=2) if e["ret"] == 0}
    got = [e for e in syscalls(r, "SYS_IPC_RECV", pid=1) if e["event"] in ("syscall", "resume")
           and e["ret"] == 0 and int.from_bytes(e["data"]["out"][0:8], "little") == 2]
    received = {int.from_bytes(e["data"]["out"][8:12], "little"): int.from_bytes(e["data"]["out"][12:16], "little")
                for e in got}
    assert set(received) == {1, 2}  # T_SEM and T_CHAN arrived, the others failed
    for t in (1, 2):
        assert received[t] != sent[t] and received[t] > 0
    errs = [e["errno"] for e in syscalls(r, "SYS_IPC_RECV", pid=1) if e["event"] in ("syscall", "resume")
            and e["ret"] < 0]
    assert errs.count("EBADF") == 1
