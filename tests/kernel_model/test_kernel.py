"""The dispatcher, the virtual clock, blocking and exit (kernel.py, wait.py)."""

from km_helpers import RO, RW_BASE, UNMAPPED, nr

from kernel_model import EXITED, YIELD, Block, Errno, TaskState
from kernel_model.kernel import Kernel
from kernel_model.syscalls import TABLE


def test_unknown_and_unsupported_numbers_give_enosys(sim):
    t = sim.proc().main_task
    for number in (7, 99, 150, 209, 1023, 1024, 5000, 2**32, 2**64 - 1):
        assert sim.k.dispatch(t, number, 0, 0, 0, 0, 0, 0) == -Errno.ENOSYS & (2**64 - 1)
    for sc in TABLE:
        if sc.status != "implemented":
            assert sim.sys(t, sc.name) == -Errno.ENOSYS
    assert t.state is TaskState.RUNNABLE


def test_every_implemented_row_has_a_handler():
    k = Kernel(console=None)
    for sc in TABLE:
        if sc.status == "implemented":
            assert k.handler_for(sc.nr).__name__ == sc.handler, sc.name


def test_each_syscall_advances_virtual_time_by_one_step(sim):
    t = sim.proc().main_task
    before = sim.k.now_ns
    for _ in range(5):
        sim.sys(t, "SYS_NULL")
    assert sim.k.now_ns - before == 5 * Kernel.CLOCK_STEP_NS


def test_null_abi_version_and_ids(sim):
    p1, p2 = sim.proc(), sim.proc()
    t = p2.main_task
    assert sim.sys(t, "SYS_NULL") == 0x57A79
    assert sim.sys(t, "SYS_ABI_VERSION") == 1
    assert sim.sys(t, "SYS_GETPID") == sim.sys(t, "SYS_PROC_GETPID") == sim.sys(t, "SYS_GETTID") == p2.pid == 2
    assert sim.sys(t, "SYS_PROC_GETPPID") == 0
    assert p1.pid == 1


def test_yield_is_a_value(sim):
    t = sim.proc().main_task
    assert sim.k.dispatch(t, nr("SYS_PROC_YIELD"), 0, 0, 0, 0, 0, 0) is YIELD


def test_nanosleep_blocks_until_its_deadline_then_returns_zero(sim):
    p = sim.proc()
    t = p.main_task
    p.memory.write(RW_BASE, (0).to_bytes(8, "little") + (5_000_000).to_bytes(8, "little"))
    r = sim.sys(t, "SYS_NANOSLEEP", RW_BASE, 0)
    assert isinstance(r, Block) and r.deadline == sim.k.now_ns + 5_000_000 - 0
    assert t.state is TaskState.BLOCKED
    sim.k.expire_timers()
    assert t.state is TaskState.BLOCKED  # not yet
    assert sim.k.advance_to_next_deadline()
    assert sim.woken == [t]
    assert sim.resume(t) == 0
    assert not sim.k.advance_to_next_deadline()  # nothing pending: a deadlock if all blocked


def test_sleepers_wake_in_deadline_order(sim):
    tasks = []
    for delay in (30, 10, 20):
        p = sim.proc()
        p.memory.write(RW_BASE, (0).to_bytes(8, "little") + (delay * 1000).to_bytes(8, "little"))
        assert isinstance(sim.sys(p.main_task, "SYS_NANOSLEEP", RW_BASE, 0), Block)
        tasks.append(p.main_task)
    while sim.k.advance_to_next_deadline():
        pass
    assert [t.process.pid for t in sim.woken] == [2, 3, 1]


def test_nanosleep_errors(sim):
    p = sim.proc()
    t = p.main_task
    assert sim.sys(t, "SYS_NANOSLEEP", 0, 0) == -Errno.EFAULT
    assert sim.sys(t, "SYS_NANOSLEEP", UNMAPPED, 0) == -Errno.EFAULT
    for sec, nsec in ((0, 1_000_000_000), (0, -1), (-1, 0)):
        p.memory.write(RW_BASE, (sec & (2**64 - 1)).to_bytes(8, "little") + (nsec & (2**64 - 1)).to_bytes(8, "little"))
        assert sim.sys(t, "SYS_NANOSLEEP", RW_BASE, 0) == -Errno.EINVAL
    p.memory.write(RW_BASE, bytes(16))
    assert sim.k.dispatch(t, nr("SYS_NANOSLEEP"), RW_BASE, 0, 0, 0, 0, 0) is YIELD


def test_clock_gettime(sim):
    p = sim.proc()
    t = p.main_task
    assert sim.sys(t, "SYS_CLOCK_GETTIME", 0, RW_BASE) == 0
    sec, nsec = int.from_bytes(p.memory.read(RW_BASE, 8), "little"), int.from_bytes(p.memory.read(RW_BASE + 8, 8), "little")
    assert sec * 10**9 + nsec == sim.k.now_ns
    assert sim.sys(t, "SYS_CLOCK_GETTIME", 1, RW_BASE) == 0
    assert sim.sys(t, "SYS_CLOCK_GETTIME", 2, RW_BASE) == -Errno.EINVAL
    assert sim.sys(t, "SYS_CLOCK_GETTIME", 2, 0) == -Errno.EFAULT  # tp is checked first
    assert sim.sys(t, "SYS_CLOCK_GETTIME", 1, RO) == -Errno.EFAULT
    assert sim.sys(t, "SYS_CLOCK_GETTIME", 1, UNMAPPED) == -Errno.EFAULT


def test_write_and_debug_log(sim):
    p = sim.proc()
    t = p.main_task
    p.memory.write(RW_BASE, b"hello")
    assert sim.sys(t, "SYS_WRITE", 1, RW_BASE, 5) == 5
    assert sim.sys(t, "SYS_WRITE", 2, RW_BASE, 2) == 2
    assert sim.console.writes == [(1, 1, b"hello"), (1, 2, b"he")]
    assert sim.sys(t, "SYS_WRITE", 3, RW_BASE, 5) == -Errno.EBADF
    assert sim.sys(t, "SYS_WRITE", 3, UNMAPPED, 0) == 0  # len 0 first
    assert sim.sys(t, "SYS_WRITE", 1, UNMAPPED, 5) == -Errno.EFAULT
    assert sim.sys(t, "SYS_DEBUG_LOG", RW_BASE, 5) == 5
    assert sim.console.lines == [(1, "[user-debug] hello")]
    assert sim.sys(t, "SYS_DEBUG_LOG", RW_BASE, 10_000) == 4096
    assert sim.sys(t, "SYS_DEBUG_LOG", UNMAPPED, 1) == -Errno.EFAULT


def test_console_write_is_chunked_and_capped_as_upstream(sim):
    p = sim.proc()
    t = p.main_task
    # 4 KiB chunks: the first chunk is out before the bad one fails the call.
    sim.console.writes.clear()
    assert sim.sys(t, "SYS_WRITE", 1, RW_BASE + 0x10000 - 4096, 8192) == -Errno.EFAULT
    assert [len(d) for _, _, d in sim.console.writes] == [4096]
    sim.console.writes.clear()
    assert sim.sys(t, "SYS_WRITE", 1, RW_BASE, 0x10000) == 16 * 1024
    assert sum(len(d) for _, _, d in sim.console.writes) == 16 * 1024


def test_unprivileged_console_access_is_eperm(sim):
    t = sim.proc(admin=False).main_task
    assert sim.sys(t, "SYS_WRITE", 1, RW_BASE, 1) == -Errno.EPERM
    assert sim.sys(t, "SYS_DEBUG_LOG", RW_BASE, 1) == -Errno.EPERM
    assert sim.sys(t, "SYS_WRITE", 1, RW_BASE, 0) == 0


def test_exit_ends_every_task_and_reports_exited(sim):
    p = sim.proc()
    extra = sim.thread(p)
    r = sim.k.dispatch(p.main_task, nr("SYS_PROC_EXIT"), (-3) & (2**64 - 1), 0, 0, 0, 0, 0)
    assert r is EXITED
    assert not p.alive and p.exit_code == (-3) & 0xFFFFFFFF
    assert not extra.alive and not p.main_task.alive
    assert p.wait_status() == (0xFD << 8)
