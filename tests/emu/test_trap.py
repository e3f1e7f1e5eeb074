"""The syscall trap in C (emu/_trap.c): the hook, and the JSONL trace lines
it writes itself. Every line it writes must be byte for byte the line of
the Python event path; a failing handler, an interrupted run or a misuse
must end as a clear error, never a crash or a lost trace line."""

from __future__ import annotations

import io
import json

import pytest

from emu import System, Tracer
from emu._trap import TraceSink, Trap
from tests.conftest import guest

# Guests whose runs mix plain calls, errors, calls that block, threads, forks and exits.
MIXED = (("fuzz_syscalls", "7", "3000", "2"), ("fuzz_syscalls", "7", "3000", "2"), ("proc_threads",),
         ("proc_forkmem",), ("proc_waitpid",), ("syscalls_basic",), ("exit_code", "5"))


def _traced_run(specs, text, **kwargs) -> tuple[str, object]:
    out = io.StringIO()
    system = System(tracer=Tracer(text=text, jsonl=out, keep=False), **kwargs)
    for name, *args in specs:
        system.spawn(guest(name), argv=[name, *args])
    result = system.run()
    return out.getvalue(), result


def test_trap_lines_equal_the_event_path():
    """JSONL-only: the trap writes plain lines; with a text trace as well,
    every line comes from the event dicts. Same bytes."""
    fast, r1 = _traced_run(MIXED, None)
    slow, r2 = _traced_run(MIXED, io.StringIO())
    assert r1.status == r2.status and r1.syscalls == r2.syscalls
    assert fast == slow
    events = [json.loads(line) for line in fast.splitlines()[1:]]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    kinds = {e["event"] for e in events}
    assert {"syscall", "block", "resume", "thread_start", "process_start", "exit", "run_end"} <= kinds
    errors = {e["errno"] for e in events if e["event"] == "syscall" and e["errno"]}
    assert len(errors) >= 5, errors  # the fuzzer's failed calls, named as the event path names them


def test_trap_lines_are_deterministic():
    assert _traced_run(MIXED, None)[0] == _traced_run(MIXED, None)[0]


def test_buffered_lines_reach_the_file_when_the_time_limit_stops_the_run():
    text, r = _traced_run([("syscall_loop", "100000000")], None, timeout=0.5)
    assert r.reason == "timeout" and r.status == 124
    lines = text.splitlines()
    events = [json.loads(line) for line in lines[1:]]  # every line whole
    assert events[-1]["event"] == "run_end" and events[-1]["reason"] == "timeout"
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert sum(e["event"] == "syscall" for e in events) == r.syscalls


@pytest.mark.parametrize("traced", [False, True])
def test_a_failing_handler_is_an_internal_error_with_the_trace_intact(traced):
    out = io.StringIO()
    system = System(tracer=Tracer(jsonl=out, keep=False) if traced else None)
    system.spawn(guest("syscall_loop"), argv=["syscall_loop", "1000"])
    real = system.kernel._fns[0]
    calls = []

    def broken(k, task, *args):  # SYS_NULL fails on its 500th call: a bug in the model
        calls.append(1)
        if len(calls) == 500:
            raise ZeroDivisionError("model bug")
        return real(k, task, *args)

    system.kernel._fns[0] = broken
    r = system.run()
    assert r.reason == "internal" and r.status == 3
    assert "ZeroDivisionError" in r.report and "model bug" in r.report
    if traced:
        events = [json.loads(line) for line in out.getvalue().splitlines()[1:]]
        assert sum(e.get("name") == "SYS_NULL" for e in events) == 499
        assert events[-1]["event"] == "run_end" and events[-1]["reason"] == "internal"


def test_trap_counts_syscalls():
    system = System()
    system.spawn(guest("syscall_loop"), argv=["syscall_loop", "12345"])
    r = system.run()
    assert r.status == 0
    assert r.syscalls == 12345 + 2  # the loop, SYS_WRITE of its line, SYS_PROC_EXIT


def test_trap_rejects_bad_arguments_without_crashing():
    from unicorn import UC_ARCH_X86, UC_MODE_64, Uc

    uc = Uc(UC_ARCH_X86, UC_MODE_64)
    with pytest.raises(TypeError):
        Trap()
    with pytest.raises(ValueError, match="register ids"):
        Trap(uc, uc._uch.value, (0,) * 6, (1, 2), (1, 2, 3), 0, print, print, print, print)
    with pytest.raises(TypeError):
        Trap(uc, uc._uch.value, (0,) * 6, (1,) * 9, (1, 2, 3), 0, print, print, print, print, extra=1)
    with pytest.raises(ValueError, match="null engine"):
        Trap(uc, 0, (0,) * 6, (1,) * 9, (1, 2, 3), 0, print, print, print, print)
    with pytest.raises(TypeError, match="callable"):
        Trap(uc, uc._uch.value, (1,) * 6, (1,) * 9, (1, 2, 3), 0, print, None, print, print)
    t = Trap.__new__(Trap)
    with pytest.raises(RuntimeError, match="not installed"):
        t.run(1 << 63, 0)
    with pytest.raises(TypeError):
        t.trace_with(object(), print, print)


def test_a_closed_trap_cannot_run():
    system = System()
    system.spawn(guest("hello"))
    cpu = system.cpus[1]
    trap = cpu.trap
    cpu.close()
    with pytest.raises(RuntimeError, match="not installed"):
        trap.run(1 << 63, 0)
    trap.close()  # twice is harmless


def test_sink_writes_python_lines_after_buffered_ones():
    out = io.StringIO()

    class Kernel:
        now_ns = 0

    deferred: list = []
    sink = TraceSink(out, Kernel(), deferred, {}, {}, None)
    sink.write("first\n")
    sink.write("d\u00e9j\u00e0 vu\n")  # Python's own lines pass through as they are
    sink.flush()
    assert out.getvalue() == "first\nd\u00e9j\u00e0 vu\n"
    with pytest.raises(ValueError, match="ASCII"):
        TraceSink(out, Kernel(), deferred, {0: ("caf\u00e9", 0, "SYS_NULL")}, {}, None)
    with pytest.raises(ValueError):
        TraceSink(out, Kernel(), deferred, {5000: ("x", 0, "SYS_NULL")}, {}, None)
    with pytest.raises(ValueError):
        TraceSink(out, Kernel(), deferred, {0: ("x", 7, "SYS_NULL")}, {}, None)
    with pytest.raises(ValueError, match="errno"):
        TraceSink(out, Kernel(), deferred, {}, {1: 'E"PERM'}, None)
    with pytest.raises(TypeError):
        TraceSink(out, Kernel(), deferred, {}, {}, {})
    with pytest.raises(TypeError):
        sink.write(b"bytes\n")


def test_trap_events_equal_the_event_path():
    """A kept trace (Tracer(), as the pytest plugin uses): the trap makes the
    plain syscall events; with a text trace as well, all come from Python.
    Equal dicts, and the trap's are left out of garbage collection."""
    import gc

    def events(text):
        system = System(tracer=Tracer(text=text))
        for name, *args in MIXED:
            system.spawn(guest(name), argv=[name, *args])
        return system.run().trace

    fast, slow = events(None), events(io.StringIO())
    assert fast == slow
    assert [list(e) for e in fast] == [list(e) for e in slow]  # same key order, so the same repr
    made_in_c = [e for e in fast if e["event"] == "syscall" and not gc.is_tracked(e)]
    assert len(made_in_c) > 1000


def test_ctrl_c_at_a_syscall_interrupts_the_run_not_an_internal_error():
    out = io.StringIO()
    system = System(tracer=Tracer(jsonl=out, keep=False))
    system.spawn(guest("syscall_loop"), argv=["syscall_loop", "1000"])
    real = system.kernel._fns[0]
    calls = []

    def interrupted(k, task, *args):
        calls.append(1)
        if len(calls) == 100:
            raise KeyboardInterrupt
        return real(k, task, *args)

    system.kernel._fns[0] = interrupted
    with pytest.raises(KeyboardInterrupt):
        system.run()
    lines = out.getvalue().splitlines()  # what the trap had buffered is written
    assert sum('"SYS_NULL"' in line for line in lines) == 99


def test_guest_memory_functions():
    from unicorn import UC_ARCH_X86, UC_MODE_64, Uc

    from emu._trap import mem_read, mem_write

    uc = Uc(UC_ARCH_X86, UC_MODE_64)
    uc.mem_map(0x10000, 0x1000, 3)
    engine = uc._uch.value
    assert mem_write(engine, 0x10ff8, b"abcdefgh") is True
    assert mem_read(engine, 0x10ff8, 8) == b"abcdefgh"
    assert mem_read(engine, 0x10ffc, 8) is None  # runs off the mapping
    assert mem_write(engine, 0x20000, b"x") is False
    assert mem_read(engine, 0x10000, 0) == b""
    with pytest.raises(ValueError):
        mem_read(0, 0x10000, 1)
    with pytest.raises(ValueError):
        mem_read(engine, 0x10000, -1)
    with pytest.raises(TypeError):
        mem_read(engine, 0x10000)
    with pytest.raises(TypeError):
        mem_write(engine, 0x10000, "text")


def test_sigint_interrupts_system_run_and_restores_the_wakeup_fd():
    """The signal comes from another process: while the guest computes, this
    process's Python threads wait for the interpreter, which waits for Unicorn."""
    import os
    import signal
    import subprocess
    import time

    system = System()
    system.spawn(guest("busy_loop"), argv=["busy_loop", "3000000000"])
    killer = subprocess.Popen(["sh", "-c", f"sleep 0.5; kill -INT {os.getpid()}"])
    t = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            system.run()
    finally:
        killer.wait()
    assert time.monotonic() - t < 10  # not the minutes the guest would compute
    assert signal.set_wakeup_fd(-1) == -1  # given back as it was
