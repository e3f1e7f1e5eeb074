"""Scheduling: syscall-budget slices, watchdog preemption of a spinning
task, instruction-counted slices in exact mode, limits and determinism."""

import json

from tests.conftest import guest, run_cli

SPIN = ("busy_loop", "3000000")


def test_watchdog_preempts_a_spinning_task(run_guests):
    r = run_guests([SPIN, "talker"], trace=True)
    assert r.status == 0
    assert r.process(1).exit_code == 0 and r.process(2).exit_code == 0
    assert r.stdout.count(b"talker: line") == 20
    assert r.clock_preemptions > 0
    preempts = [e for e in r.trace if e["event"] == "preempt"]
    assert preempts and all(e["by"] == "clock" and e["pid"] == 1 for e in preempts)
    # The talker ran while the spinner was still computing.
    out = r.stdout.decode()
    assert out.index("talker: line 1") < out.index("busy_loop: done")


def test_exact_mode_is_reproducible_without_clock(run_guests):
    runs = [run_guests([SPIN, "talker"], trace=True, exact=True) for _ in range(2)]
    for r in runs:
        assert r.status == 0 and r.clock_preemptions == 0
        assert any(e["event"] == "preempt" and e["by"] == "insns" for e in r.trace)
    assert runs[0].stdout == runs[1].stdout
    assert runs[0].trace == runs[1].trace
    # Instruction slices interleave the talker with the spinner deterministically.
    out = runs[0].stdout.decode()
    assert out.index("talker: line 1") < out.index("busy_loop: done")


def test_max_insns_stops_a_runaway_task():
    p = run_cli("run", "--exact", "--max-insns", "1000000", "--args", "1", "100000000", guest("busy_loop"),
                guest("talker"))
    err = p.stderr.decode()
    assert p.returncode == 124, err
    assert "ran 1000000 instructions without a syscall" in err
    assert "task 1 (pid 1, busy_loop.elf): runnable" in err
    assert "task 2 (pid 2, talker.elf): runnable" in err  # the report lists every task
    assert b"talker: line 1\n" in p.stdout  # and what ran before the stop is kept


def test_timeout_stops_the_run_with_124():
    p = run_cli("run", "--timeout", "0.5", "--args", "1", "1000000000", guest("busy_loop"))
    err = p.stderr.decode()
    assert p.returncode == 124, err
    assert "time limit of 0.5 s reached" in err
    assert "busy_loop.elf" in err


def test_yield_alternates_tasks(run_guests):
    r = run_guests(["talker", "talker"])
    lines = [ln for ln in r.stdout.decode().splitlines() if ln.startswith("talker: line")]
    assert len(lines) == 40
    assert lines[0].startswith("talker: line 1") and lines[1].startswith("talker: line 1")


def test_sleepers_wake_in_virtual_time(run_guests):
    r = run_guests(["demo_parent", "demo_worker", "demo_worker"], trace=True)
    assert r.status == 0, r.stdout.decode()
    # Virtual time advanced through the sleeps without any host waiting.
    assert r.virtual_ns >= 1_000_000


def test_three_runs_are_byte_identical(tmp_path):
    outs = []
    for i in range(3):
        f = tmp_path / f"t{i}.jsonl"
        p = run_cli("run", "--trace", "--trace-file", str(f), guest("demo_parent"), guest("demo_worker"),
                    guest("demo_worker"), guest("syscalls_basic"))
        assert p.returncode == 0, p.stderr.decode()
        outs.append((p.stdout, p.stderr, f.read_bytes()))
    assert outs[0] == outs[1] == outs[2]
    lines = outs[0][2].decode().splitlines()
    header = json.loads(lines[0])
    assert header["schema"] == "strat9-trace" and header["version"] == 1
    assert all("seq" in json.loads(ln) for ln in lines[1:])
