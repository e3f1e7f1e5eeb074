"""Scheduling: syscall-budget slices, watchdog preemption of a spinning
task, block-limited slices (instruction-counted in exact mode), limits and determinism."""

import json

from tests.conftest import guest, run_cli

SPIN_N = 3_000_000
SPIN = ("busy_loop", str(SPIN_N))


def busy_loop_checksum(n: int) -> str:
    """What guest_programs/src/busy_loop.c must print for n iterations."""
    x = 0x9E3779B97F4A7C15
    for _ in range(n):
        x = (x * 6364136223846793005 + 1442695040888963407) & (2**64 - 1)
        x ^= x >> 29
    return f"{x:016x}"


def test_spinning_task_is_preempted_without_corrupting_it(run_guests):
    """A task computing without syscalls is preempted (translation blocks);
    the others run meanwhile, and its result is exactly right (an
    asynchronous uc_emu_stop could re-run a read-modify-write on resume)."""
    r = run_guests([SPIN, "talker"], trace=True)
    assert r.status == 0
    assert r.stdout.count(b"talker: line") == 20
    preempts = [e for e in r.trace if e["event"] == "preempt"]
    assert len(preempts) >= 5 and all(e["pid"] == 1 for e in preempts)
    out = r.stdout.decode()
    assert out.index("talker: line 1") < out.index("busy_loop: done")
    assert f"checksum {busy_loop_checksum(SPIN_N)}" in out


def test_preemption_is_reproducible(run_guests):
    for exact in (False, True):
        runs = [run_guests([SPIN, "talker"], trace=True, exact=exact) for _ in range(2)]
        assert runs[0].status == runs[1].status == 0
        assert runs[0].stdout == runs[1].stdout
        assert runs[0].trace == runs[1].trace


def test_a_lone_task_is_not_counted_unless_exact(run_guests):
    r = run_guests([SPIN], trace=True)
    assert not [e for e in r.trace if e["event"] == "preempt"]
    r = run_guests([SPIN], trace=True, exact=True)
    assert [e for e in r.trace if e["event"] == "preempt"]
    assert f"checksum {busy_loop_checksum(SPIN_N)}".encode() in r.stdout


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
        p = run_cli("run", "--trace", "--trace-file", str(f), guest("demo_ipc_server"), guest("demo_ipc_client"),
                    guest("demo_ipc_sharer"), guest("demo_parent"), guest("demo_worker"), guest("syscalls_basic"))
        assert p.returncode == 0, p.stderr.decode()
        outs.append((p.stdout, p.stderr, f.read_bytes()))
    assert outs[0] == outs[1] == outs[2]
    lines = outs[0][2].decode().splitlines()
    header = json.loads(lines[0])
    assert header["schema"] == "strat9-trace" and header["version"] == 1
    assert all("seq" in json.loads(ln) for ln in lines[1:])


def test_jsonl_fast_path_writes_the_same_bytes(tmp_path):
    """A JSONL-only trace writes plain syscall lines without building events;
    with a text trace too, every line goes through the event dicts: same file."""
    import io

    from emu import System, Tracer
    from tests.conftest import guest as path_of

    files = []
    for text in (None, io.StringIO()):
        out = io.StringIO()
        system = System(tracer=Tracer(text=text, jsonl=out, keep=False))
        for name, args in (("syscalls_basic", []), ("demo_ipc_server", []), ("demo_ipc_client", []),
                           ("demo_ipc_sharer", []), ("exit_code", ["5"])):
            system.spawn(path_of(name), argv=[name, *args])
        system.run()
        files.append(out.getvalue())
    assert files[0] == files[1]
    assert files[0].count("\n") > 200


def test_read_modify_write_instructions_survive_preemption(run_guests):
    """`add [mem], 1`, `inc [mem]` and `xadd [mem], r` in a loop preempted
    about 40 times (block slices): every total exact, in both modes."""
    for exact in (False, True):
        r = run_guests([("rmw_spin", "2000000"), "talker"], trace=True, exact=exact)
        assert r.status == 0, r.stdout
        assert b"add 2000000 inc 2000000 xadd 4000000" in r.stdout
        preempts = [e for e in r.trace if e["event"] == "preempt"]
        assert len(preempts) >= 20 and {e["by"] for e in preempts} == {"insns" if exact else "blocks"}


def test_a_task_beside_sleepers_runs_without_slices(run_guests):
    """Nobody else is runnable while bench_idle sleeps (virtual time stands
    still without syscalls): busy_loop is preempted only at the start, while
    bench_idle has not run yet, and its block hook goes after LONE_BLOCKS."""
    from emu import System, Tracer

    system = System(tracer=Tracer())
    system.spawn(guest(SPIN[0]), argv=list(SPIN))
    system.spawn(guest("bench_idle"))
    cpu = system.cpus[1]
    seen = []
    real = system._run_slice

    def watch(c, task):
        out = real(c, task)
        if c is cpu:
            seen.append(c.counted)
        return out

    system._run_slice = watch
    r = system.run()
    assert r.status == 0
    assert f"checksum {busy_loop_checksum(SPIN_N)}".encode() in r.stdout
    preempts = [e for e in r.trace if e["event"] == "preempt"]
    assert [e["pid"] for e in preempts] == [1]  # once, before bench_idle first ran
    assert seen[0] is True and seen[-1] is False  # the hook came, then went
