"""ABI.md section 4 (capabilities) run by real guests: conf_handles (pid 1)
and conf_handles_peer (pid 2). Every row of the section 4 table, the
success path and each listed error, exact values (see the guest's comments)."""

from tests.conformance.conf_tap import assert_conformant, results, syscalls


def test_handles_conformance(run_guests):
    r = run_guests(["conf_handles", "conf_handles_peer"], trace=True)
    assert_conformant(r, guests=2, min_checks=150)


def test_grant_result_is_valid_only_in_the_target(run_guests):
    r = run_guests(["conf_handles", "conf_handles_peer"], trace=True)
    grants = [e for e in syscalls(r, "SYS_HANDLE_GRANT", pid=1) if e["args"][1] == 2 and e["ret"] > 0]
    assert grants, "no successful grant to pid 2"
    granted = grants[0]["ret"]
    # the peer used that number successfully; conf_handles itself got EBADF for it
    infos = [e for e in syscalls(r, "SYS_HANDLE_INFO") if e["args"][0] == granted]
    assert any(e["pid"] == 2 and e["ret"] == 0 for e in infos)
    assert any(e["pid"] == 1 and e["errno"] == "EBADF" for e in infos)


def test_handle_ids_are_never_reused(run_guests):
    r = run_guests(["conf_handles", "conf_handles_peer"], trace=True)
    created = [e["ret"] for e in r.trace if e.get("event") in ("syscall", "resume") and e.get("name") in (
        "SYS_IPC_CREATE_PORT", "SYS_CHAN_CREATE", "SYS_SEM_CREATE", "SYS_IPC_RING_CREATE",
        "SYS_HANDLE_DUPLICATE", "SYS_HANDLE_GRANT", "SYS_IPC_CONNECT") and e["ret"] > 0]
    assert len(created) > 40
    assert len(set(created)) == len(created)


def test_wait_blocks_until_another_process_posts(run_guests):
    r = run_guests(["conf_handles", "conf_handles_peer"], trace=True)
    blocked = syscalls(r, "SYS_HANDLE_WAIT", pid=1, event="block")
    assert len(blocked) >= 3  # the 2 ms timeout, the forever wait, the 1 s wait
    assert results(r, "SYS_HANDLE_WAIT", pid=1).count(-110) >= 1  # ETIMEDOUT
    resumed = [e["ret"] for e in syscalls(r, "SYS_HANDLE_WAIT", pid=1, event="resume")]
    assert resumed.count(1) >= 2
