"""Every fault kind kills only the faulting process, with 128+signal and a
readable report (task, address and access, disassembly, registers)."""

import pytest

from tests.conftest import guest, run_cli

CASES = [
    ("fault_segv_read", 11, "read from unmapped memory at 0xdead0000", "mov"),
    ("fault_segv_write", 11, "write to unmapped memory at 0xdead0000", "mov"),
    ("fault_write_ro", 11, "write to read-only memory", "mov"),
    ("fault_exec", 11, "instruction fetch from non-executable memory", "ret"),
    ("fault_null", 11, "instruction fetch from unmapped memory at 0x0", "(unreadable)"),
    ("fault_ill", 4, "invalid opcode (#UD)", "ud2"),
    ("fault_fpe", 8, "divide error (#DE)", "div"),
    ("fault_hlt", 11, "privileged instruction", "hlt"),
    ("fault_priv", 11, "privileged instruction", "cli"),
    ("fault_bus", 7, "stack-segment fault (#SS)", "push"),
]


@pytest.mark.parametrize("name,sig,what,insn", CASES, ids=[c[0] for c in CASES])
def test_fault_report_and_status(name, sig, what, insn):
    p = run_cli("run", guest(name))
    err = p.stderr.decode()
    assert p.returncode == 128 + sig, err
    assert "Traceback" not in err
    assert f"task 1 (pid 1, {name}.elf) killed by" in err
    assert what in err
    assert "at rip=" in err and insn in err
    assert "rsp=" in err and "rip=" in err  # the register dump
    assert p.stdout.startswith(f"{name}:".encode())  # what it printed before faulting survives


@pytest.mark.parametrize("name,sig", [(c[0], c[1]) for c in CASES], ids=[c[0] for c in CASES])
def test_fault_leaves_other_tasks_running(run_guests, name, sig):
    r = run_guests([name, "talker", "hello"], trace=True)
    assert r.process(1).signal == sig
    assert r.process(2).exit_code == 0 and r.process(3).exit_code == 0
    assert r.stdout.count(b"talker: line") == 20
    assert b"hello from pid 3" in r.stdout
    assert r.status == 128 + sig
    faults = [e for e in r.trace if e["event"] == "fault"]
    assert len(faults) == 1 and faults[0]["pid"] == 1 and faults[0]["signal"] == sig
    assert r.trace[-1]["event"] == "run_end"


def test_fault_hooks_cover_everything_but_the_writable_regions():
    """Unicorn keeps guest stores on its fast path only where no memory hook
    is installed: the fault hooks follow the regions through map and unmap,
    and leave out exactly the read-write ones."""
    from emu import System

    system = System()
    system.spawn(guest("hello"))
    cpu = system.cpus[1]

    def check():
        writable = [(r.start, r.end - 1) for r in cpu.mem.regions if r.prot & 3 == 3]
        pieces = sorted(writable + list(cpu.fault_ranges))
        assert pieces[0][0] == 0 and pieces[-1][1] == 2**64 - 1
        for (_, end), (start, _) in zip(pieces, pieces[1:]):
            assert start == end + 1  # no overlap, no hole
        assert len(cpu._fault_hooks) == len(cpu.fault_ranges)
        return writable

    before = check()
    cpu.mem.map_anonymous(0x7000_0000, 0x4000, 3, shared=False)
    assert len(check()) == len(before) + 1
    cpu.mem.unmap(0x7000_1000, 0x1000)  # splits the region in two
    assert len(check()) == len(before) + 2
    cpu.mem.map_anonymous(0x7100_0000, 0x1000, 1, shared=False)  # read-only: covered
    cpu.mem.map_anonymous(0x7200_0000, 0x1000, 2, shared=False)  # write-only: covered (a read faults)
    assert len(check()) == len(before) + 2
    assert system.run().status == 0
