"""ABI.md section 7, shared-ring rows 210 (create) and 211 (map), run by
conf_rings (pid 1) and conf_rings_peer (pid 2); conf_rings_nx shows that a
ring mapping is not executable (it must die with SIGSEGV)."""

import time

from tests.conftest import guest, run_cli
from tests.conformance.conf_tap import assert_conformant, syscalls


def test_rings_conformance(run_guests):
    r = run_guests(["conf_rings", "conf_rings_peer"], trace=True)
    assert_conformant(r, guests=2, min_checks=90)
    maps = [e for e in syscalls(r, "SYS_IPC_RING_MAP") if e["ret"] > 0]
    assert {e["pid"] for e in maps} == {1, 2}
    assert all(e["data"]["out"] >= 0x6000_0000 and e["data"]["out"] % 4096 == 0 for e in maps)


def test_enomem_is_immediate(run_guests):
    start = time.monotonic()
    r = run_guests(["conf_rings", "conf_rings_peer"], trace=True)
    assert time.monotonic() - start < 30
    big = [e for e in syscalls(r, "SYS_IPC_RING_CREATE") if e["args"][0] == 1 << 40]
    assert [e["errno"] for e in big] == ["ENOMEM"]


def test_ring_mapping_is_not_executable():
    p = run_cli("run", guest("conf_rings_nx"))
    assert p.returncode == 128 + 11, p.stderr.decode()
    err = p.stderr.decode()
    assert "killed by SIGSEGV" in err
    assert "instruction fetch from non-executable memory at 0x60000000" in err
    assert b"calling into the ring mapping" in p.stdout
    assert b"was executable" not in p.stdout
