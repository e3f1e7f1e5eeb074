"""Anonymous mappings, SYS_MMAP / SYS_MUNMAP (ABI.md section 8), run by
proc_mmap (errors, placement, zero fill, protection enforced for the guest
and for the kernel, munmap, the 1 GiB limit; the deliberate faults of the
fault modes) and proc_forkmem (what fork copies and what stays shared)."""

import re

import pytest

from proc_helpers import assert_tap_clean, completed, forked, notes, run_cli


@pytest.fixture(scope="module")
def checks():
    from emu import System, Tracer
    from proc_helpers import guest_path

    system = System(tracer=Tracer(), timeout=120)
    system.spawn(guest_path("proc_mmap"), argv=["proc_mmap"])
    return system.run()


def test_mmap_checks_pass(checks):
    assert_tap_clean(checks, blocks=1, min_checks=80)
    assert checks.reason == "exited" and checks.process(1).status == 0


def test_mmap_results_in_the_trace(checks):
    maps = completed(checks, "SYS_MMAP", pid=1)
    ok = [e["ret"] for e in maps if e["ret"] > 0]
    assert ok[:4] == [0x60000000, 0x60003000, 0x60004000, 0x60005000]
    assert all(r % 4096 == 0 for r in ok)
    errs = {e["errno"] for e in maps if e["ret"] < 0}
    assert {"EINVAL", "ENOMEM"} <= errs


def test_protection_faults_kill_children_with_sigsegv(checks):
    children = forked(checks, ppid=1)
    killed = [checks.process(p) for p in children if checks.process(p).signal is not None]
    assert len(killed) == 7 and all(p.signal == 11 for p in killed)
    reports = "\n".join(p.report for p in killed)
    assert "write to read-only memory at 0x72000000" in reports
    assert "read from unreadable memory at 0x72100000" in reports
    assert "instruction fetch from non-executable memory at 0x72300000" in reports
    assert "read from unmapped memory at 0x60001000" in reports  # the hole after munmap
    survivors = [checks.process(p) for p in children if checks.process(p).signal is None]
    assert [p.exit_code for p in survivors] == [99, 99, 99]  # allowed accesses did not fault


def test_shared_mappings_over_the_limit_fail_with_enomem(run_guests):
    r = run_guests([("proc_mmap", "sharedlimit")], trace=True, timeout=60)
    assert r.reason == "exited", r.report  # not an internal error of the emulator
    assert_tap_clean(r, blocks=1, min_checks=7)
    assert r.status == 0


@pytest.mark.parametrize("mode, what, offset", [
    ("unmapped", "read from unmapped memory at {:#x}", 0x10),
    ("rowrite", "write to read-only memory at {:#x}", 8),
    ("noexec", "instruction fetch from non-executable memory at {:#x}", 0),
])
def test_fault_modes_kill_the_process(mode, what, offset):
    p = run_cli("run", "--args", "1", mode, "proc_mmap.elf")
    out, err = p.stdout.decode(), p.stderr.decode()
    assert p.returncode == 139, (out, err)
    assert "no fault" not in out
    base = int(re.search(r"(?:mapping at|unmapped) (0x[0-9a-f]+)", out).group(1), 16)
    assert base == 0x60000000
    # the report names the faulting address: the mapping's base + the offset used
    assert "killed by SIGSEGV" in err and what.format(base + offset) in err, err


def test_unmapped_read_after_write_and_read_back():
    p = run_cli("run", "--args", "1", "unmapped", "proc_mmap.elf")
    assert "# mapped 0x60000000, wrote and read back 0x5a" in p.stdout.decode()


def test_fork_copies_private_and_shares_shared_memory(run_guests):
    r = run_guests(["proc_forkmem"], trace=True, timeout=60)
    assert_tap_clean(r, blocks=2, min_checks=40)
    assert r.reason == "exited" and r.status == 0, r.report
    (child,) = forked(r, ppid=1)
    assert r.process(child).status == 0
    assert any("shared ones seen" in n for n in notes(r.stdout, "child"))


def test_forked_processes_spinning_on_shared_memory_are_preempted(run_guests):
    # The parent forks inside its first (lone, uncounted) slice, then waits
    # for the child through a MAP_SHARED page without syscalls.
    r = run_guests([("proc_forkmem", "spin")], trace=True, timeout=15)
    assert r.reason == "exited", r.report
    assert r.status == 0 and b"parent and child got through (waitpid ok, status 0)" in r.stdout
    assert {e["pid"] for e in r.trace if e["event"] == "preempt"} == {1, 2}
    again = run_guests([("proc_forkmem", "spin")], trace=True, timeout=15)
    assert again.trace == r.trace
