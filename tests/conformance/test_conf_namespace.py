"""ABI.md section 5 rows 205 (bind), 206 (unbind) and 208 (connect), run by
conf_namespace: path checks in upstream order, handle checks, the leading
and trailing '/', EEXIST (also for "/"), the /srv/strate-fs-* bootstrap
message, connect's longest prefix on '/' boundaries, unbind."""

from tests.conformance.conf_tap import assert_conformant, syscalls


def test_namespace_conformance(run_guests):
    r = run_guests(["conf_namespace"])
    assert_conformant(r, guests=1, min_checks=130)


def test_trace_decodes_paths_and_the_bootstrap_message(run_guests):
    r = run_guests(["conf_namespace"], trace=True)
    binds = [e for e in syscalls(r, "SYS_IPC_BIND_PORT") if e["ret"] == 0]
    assert any(e["data"]["path"] == b"/srv/strate-fs-conf" for e in binds)
    boot = [e for e in syscalls(r, "SYS_IPC_TRY_RECV") if e["ret"] == 0
            and int.from_bytes(e["data"]["out"][8:12], "little") == 0x10]
    assert len(boot) == 3
    first = boot[0]["data"]["out"]
    assert int.from_bytes(first[0:8], "little") == 1  # sender: the binding task
    assert first[16] == 14 and first[17:31] == b"strate-fs-conf"
