"""Threads, fork, waitpid and arch_prctl (process_calls.py), on a fake machine."""

import struct

from km_helpers import RO, RW_BASE, UNMAPPED, E, is_block

from kernel_model import EXITED, Errno, TaskState

STACK = 0x7000_0000


def test_thread_create_checks_and_start_registers(sim):
    t = sim.proc().main_task
    assert sim.sys(t, "SYS_THREAD_CREATE", 0x401000, STACK, 7, 1, 0) == E(Errno.EINVAL)  # flags
    for entry, stack in ((0, STACK), (0x401000, 0), (1 << 47, STACK), (0x401000, 1 << 47), (0x401000, STACK + 8)):
        assert sim.sys(t, "SYS_THREAD_CREATE", entry, stack, 0, 0, 0) == E(Errno.EINVAL)
    tid = sim.sys(t, "SYS_THREAD_CREATE", 0x401000, STACK, 7, 0, 0x5000)
    assert tid not in (t.tid, t.process.pid) and sim.machine.started[tid] == (0x401000, STACK, 7, 0x5000)
    thread = sim.k.tasks[tid]
    assert thread.process is t.process and thread.creator == t.tid and sim.woken == [thread]
    assert sim.sys(thread, "SYS_GETPID") == t.process.pid and sim.sys(thread, "SYS_GETTID") == tid


def test_join_waits_for_the_thread_and_reaps_it(sim):
    p = sim.proc()
    t = p.main_task
    tid = sim.sys(t, "SYS_THREAD_CREATE", 0x401000, STACK, 0, 0, 0)
    thread = sim.k.tasks[tid]
    sim.woken.clear()
    assert sim.sys(t, "SYS_THREAD_JOIN", tid, 0, 1) == E(Errno.EINVAL)
    assert sim.sys(t, "SYS_THREAD_JOIN", t.tid, 0, 0) == E(Errno.EINVAL)
    assert sim.sys(t, "SYS_THREAD_JOIN", 1 << 32, 0, 0) == E(Errno.EINVAL)
    assert sim.sys(t, "SYS_THREAD_JOIN", 999, 0, 0) == E(Errno.ENOENT)
    assert sim.sys(thread, "SYS_THREAD_JOIN", t.tid, 0, 0) == E(Errno.ENOENT)  # not its creator
    assert is_block(sim.sys(t, "SYS_THREAD_JOIN", tid, RW_BASE, 0))
    assert sim.sys(thread, "SYS_THREAD_EXIT", 1 << 31) == E(Errno.EINVAL)  # does not fit i32
    assert thread.alive
    assert sim.sys(thread, "SYS_THREAD_EXIT", 42) is EXITED
    assert not thread.alive and p.alive
    assert sim.woken == [t] and sim.resume(t) == tid
    assert struct.unpack("<i", p.memory.read(RW_BASE, 4))[0] == 42  # the raw code, not a wait status
    assert sim.sys(t, "SYS_THREAD_JOIN", tid, 0, 0) == E(Errno.ENOENT)  # reaped


def test_last_thread_exit_ends_the_process(sim):
    p = sim.proc()
    t = p.main_task
    tid = sim.sys(t, "SYS_THREAD_CREATE", 0x401000, STACK, 0, 0, 0)
    sim.sys(t, "SYS_THREAD_EXIT", 0)
    assert p.alive
    sim.sys(sim.k.tasks[tid], "SYS_THREAD_EXIT", 9)
    assert not p.alive and p.exit_code == 9


def test_proc_exit_ends_every_thread(sim):
    p = sim.proc()
    t = p.main_task
    thread = sim.k.tasks[sim.sys(t, "SYS_THREAD_CREATE", 0x401000, STACK, 0, 0, 0)]
    assert is_block(sim.sys(thread, "SYS_SEM_WAIT", sim.sys(thread, "SYS_SEM_CREATE", 0)))
    sim.sys(t, "SYS_PROC_EXIT", 4)
    assert thread.state is TaskState.DEAD and p.exit_code == 4


def test_fork_copies_memory_and_handles(sim):
    p = sim.proc()
    t = p.main_task
    sem = sim.sys(t, "SYS_SEM_CREATE", 0)
    p.memory.write(RW_BASE, b"parent")
    child_pid = sim.sys(t, "SYS_PROC_FORK")
    child = sim.k.processes[child_pid]
    assert child.ppid == p.pid and sim.sys(child.main_task, "SYS_PROC_GETPPID") == p.pid
    assert child.memory.read(RW_BASE, 6) == b"parent"
    child.memory.write(RW_BASE, b"child!")
    assert p.memory.read(RW_BASE, 6) == b"parent"  # private memory is a copy
    assert sem in child.handles and child.handles[sem].obj is p.handles[sem].obj
    assert p.handles[sem].obj.refs == 2  # each copy is a holder
    assert sim.sys(child.main_task, "SYS_SEM_POST", sem) == 0
    assert sim.sys(t, "SYS_SEM_TRYWAIT", sem) == 0


def test_waitpid(sim):
    p = sim.proc()
    t = p.main_task
    assert sim.sys(t, "SYS_PROC_WAITPID", -1, 0, 0) == E(Errno.ECHILD)
    assert sim.sys(t, "SYS_PROC_WAITPID", -1, 0, 2) == E(Errno.EINVAL)
    assert sim.sys(t, "SYS_PROC_WAITPID", 0, 0, 0) == E(Errno.EINVAL)
    assert sim.sys(t, "SYS_PROC_WAITPID", -2, 0, 0) == E(Errno.EINVAL)
    a = sim.k.processes[sim.sys(t, "SYS_PROC_FORK")]
    b = sim.k.processes[sim.sys(t, "SYS_PROC_FORK")]
    other = sim.proc()
    assert sim.sys(t, "SYS_PROC_WAITPID", other.pid, 0, 0) == E(Errno.ECHILD)
    assert sim.sys(t, "SYS_PROC_WAITPID", -1, RW_BASE, 1) == 0  # WNOHANG, nobody exited
    sim.woken.clear()
    assert is_block(sim.sys(t, "SYS_PROC_WAITPID", -1, RW_BASE, 0))
    sim.sys(b.main_task, "SYS_PROC_EXIT", 3)
    assert sim.woken == [t] and sim.resume(t) == b.pid
    assert struct.unpack("<i", p.memory.read(RW_BASE, 4))[0] == 3 << 8
    assert sim.sys(t, "SYS_PROC_WAITPID", b.pid, 0, 0) == E(Errno.ECHILD)  # reaped
    sim.k.exit_process(a, signal=11)  # a fault
    assert sim.sys(t, "SYS_PROC_WAITPID", a.pid, RW_BASE, 0) == a.pid
    assert struct.unpack("<i", p.memory.read(RW_BASE, 4))[0] == 11
    assert sim.sys(t, "SYS_PROC_WAITPID", -1, 0, 0) == E(Errno.ECHILD)


def test_waitpid_status_pointer_fault(sim):
    p = sim.proc()
    t = p.main_task
    c = sim.k.processes[sim.sys(t, "SYS_PROC_FORK")]
    sim.sys(c.main_task, "SYS_PROC_EXIT", 0)
    assert sim.sys(t, "SYS_PROC_WAITPID", c.pid, RO, 0) == E(Errno.EFAULT)


def test_arch_prctl(sim):
    p = sim.proc()
    t = p.main_task
    assert sim.sys(t, "SYS_ARCH_PRCTL", 0x1002, 0x1234) == 0
    assert sim.sys(t, "SYS_ARCH_PRCTL", 0x1003, RW_BASE) == 0
    assert struct.unpack("<Q", p.memory.read(RW_BASE, 8))[0] == 0x1234
    assert sim.sys(t, "SYS_ARCH_PRCTL", 0x1003, UNMAPPED) == E(Errno.EFAULT)
    assert sim.sys(t, "SYS_ARCH_PRCTL", 0x1001, 0x99) == 0
    assert sim.sys(t, "SYS_ARCH_PRCTL", 0x1004, RW_BASE) == 0
    assert struct.unpack("<Q", p.memory.read(RW_BASE, 8))[0] == 0x99
    assert sim.sys(t, "SYS_ARCH_PRCTL", 0x1005, RW_BASE) == E(Errno.EINVAL)
