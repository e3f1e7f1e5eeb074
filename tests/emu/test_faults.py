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
