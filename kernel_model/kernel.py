"""The Strat9 kernel model: processes, tasks, the virtual clock and the
syscall dispatcher driven by `syscalls.TABLE`.

The machine calls `dispatch` for every `syscall` instruction and acts on
the result: an int is the raw rax value; a `Block` parks the task until
`wake`; `YIELD` ends the task's turn; `EXITED` means the task is gone.
"""

from __future__ import annotations

import heapq
from typing import Callable, Protocol

from . import capabilities, channel, clock, console, mmap, namespace, port, process_calls, reply, semaphore, shared_ring
from .errno import Errno, SyscallError
from .limits import Limits
from .process import Process, Task, TaskState
from .syscalls import TABLE
from .wait import EXITED, Block, WaitQueue

MASK64 = (1 << 64) - 1
# Modules whose functions implement the handlers named in the syscall table.
HANDLER_MODULES = (capabilities, port, reply, namespace, shared_ring, channel, semaphore, process_calls,
                   console, clock, mmap)


class Console(Protocol):
    def write(self, pid: int, fd: int, data: bytes) -> None: ...

    def debug(self, pid: int, line: str) -> None: ...


class Machine(Protocol):
    """What the kernel asks of the CPU side (the emulator, or a test double).
    `task` is always the calling task, whose registers are live."""

    def start_thread(self, task: Task, entry: int, stack_top: int, arg0: int, tls: int) -> None:
        """Give a new thread its first registers; it becomes runnable."""

    def fork(self, parent: Task, child: Process) -> None:
        """Give `child` a copy of the parent's address space (child.memory)
        and of the calling thread's registers, with rax = 0; it becomes runnable."""

    def get_fs_base(self, task: Task) -> int: ...

    def set_fs_base(self, task: Task, value: int) -> None: ...

    def get_gs_base(self, task: Task) -> int: ...

    def set_gs_base(self, task: Task, value: int) -> None: ...


def _enosys(k, task, *args):
    raise SyscallError(Errno.ENOSYS)


def _handler_for(name: str | None) -> Callable:
    if name is None:
        return _enosys
    for mod in HANDLER_MODULES:
        fn = getattr(mod, name, None)
        if fn is not None:
            return fn
    raise LookupError(f"the syscall table names handler {name!r}, which no kernel module defines")


class Kernel:
    # Virtual time advanced by each syscall (ABI.md section 10).
    CLOCK_STEP_NS = 1000

    def __init__(self, console: Console, on_wake: Callable[[Task], None] = lambda task: None,
                 on_task_exit: Callable[[Task], None] = lambda task: None, machine: Machine | None = None,
                 limits: Limits | None = None):
        self.console = console
        self.machine = machine
        self.limits = limits or Limits()
        self.on_wake = on_wake
        self.on_task_exit = on_task_exit
        self.now_ns = 0
        self.processes: dict[int, Process] = {}
        self.tasks: dict[int, Task] = {}
        self._next_tid = 1
        self._timers: list[tuple[int, int, Task]] = []  # (deadline, seq, task)
        self._timer_seq = 0
        self._fns: list[Callable] = [_enosys] * 1024
        for sc in TABLE:
            self._fns[sc.nr] = _handler_for(sc.handler if sc.status == "implemented" else None)
        capabilities.init_kernel(self)
        namespace.init_kernel(self)
        shared_ring.init_kernel(self)

    def handler_for(self, nr: int) -> Callable:
        """The function that implements syscall `nr` (ENOSYS when none)."""
        return self._fns[nr] if 0 <= nr < len(self._fns) else _enosys

    # -- processes and tasks ------------------------------------------------

    def new_tid(self) -> int:
        tid = self._next_tid
        self._next_tid += 1
        return tid

    def spawn_process(self, memory, name: str = "", admin: bool = True, parent: Process | None = None) -> Process:
        """A new process with one task; its pid is that task's tid."""
        pid = self.new_tid()
        proc = Process(pid, parent.pid if parent else 0, name, memory, admin)
        proc.mmap_hint = mmap.MMAP_BASE
        proc.child_waitq = WaitQueue(proc)
        capabilities.init_process(self, proc, parent)
        if parent is not None:
            parent.children.append(proc)
        self.processes[pid] = proc
        self.add_task(proc, pid)
        return proc

    def add_task(self, proc: Process, tid: int | None = None) -> Task:
        task = Task(self.new_tid() if tid is None else tid, proc)
        task.reply_waitq = WaitQueue(task)
        task.joiners = WaitQueue(task)
        proc.tasks.append(task)
        self.tasks[task.tid] = task
        return task

    def live_tasks(self) -> list[Task]:
        return [t for t in self.tasks.values() if t.alive]

    def check_new_task(self, proc: Process) -> None:
        """ENOMEM when the system or `proc` cannot hold one more task."""
        lim = self.limits
        if sum(t.alive for t in self.tasks.values()) >= lim.tasks:
            raise SyscallError(Errno.ENOMEM)
        if proc is not None and sum(t.alive for t in proc.tasks) >= lim.threads_per_process:
            raise SyscallError(Errno.ENOMEM)

    def check_new_process(self) -> None:
        if sum(p.alive for p in self.processes.values()) >= self.limits.processes:
            raise SyscallError(Errno.ENOMEM)
        self.check_new_task(None)

    def discard_process(self, proc: Process) -> None:
        """Undo a spawn that could not be completed (a fork out of memory)."""
        capabilities.release_all(self, proc)
        for task in proc.tasks:
            self.tasks.pop(task.tid, None)
        self.processes.pop(proc.pid, None)
        parent = self.processes.get(proc.ppid)
        if parent is not None and proc in parent.children:
            parent.children.remove(proc)

    # -- dispatch -----------------------------------------------------------

    def dispatch(self, task: Task, nr: int, a1: int, a2: int, a3: int, a4: int, a5: int, a6: int):
        """Run one syscall for `task`; see the module docstring for results."""
        self.now_ns += self.CLOCK_STEP_NS
        fn = self._fns[nr] if nr < 1024 else _enosys
        try:
            r = fn(self, task, a1, a2, a3, a4, a5, a6)
        except SyscallError as e:
            return -e.errno & MASK64
        if r.__class__ is int:
            return r & MASK64
        if r.__class__ is Block:
            self._park(task, r)
        return r

    def resume(self, task: Task):
        """Retry the call a woken task was blocked in; same results as dispatch."""
        blk = task.block
        task.block = None
        try:
            r = blk.retry()
        except SyscallError as e:
            return -e.errno & MASK64
        if r.__class__ is int:
            return r & MASK64
        if r.__class__ is Block:
            self._park(task, r)
        return r

    def _park(self, task: Task, blk: Block) -> None:
        task.state = TaskState.BLOCKED
        task.block = blk
        for q in blk.queues:
            q.waiters.append(task)
        if blk.deadline is not None:
            self._timer_seq += 1
            heapq.heappush(self._timers, (blk.deadline, self._timer_seq, task))

    def wake(self, task: Task) -> None:
        """Make a blocked task runnable; it retries its call when it next runs."""
        if task.state is not TaskState.BLOCKED:
            return
        for q in task.block.queues:
            try:
                q.waiters.remove(task)
            except ValueError:
                pass
        task.state = TaskState.RUNNABLE
        self.on_wake(task)

    # -- virtual time -------------------------------------------------------

    def next_deadline(self) -> int | None:
        while self._timers:
            deadline, _, task = self._timers[0]
            if task.state is TaskState.BLOCKED and task.block is not None and task.block.deadline == deadline:
                return deadline
            heapq.heappop(self._timers)  # stale: the task was woken otherwise
        return None

    def expire_timers(self) -> None:
        """Wake every task whose deadline has passed, earliest first."""
        timers = self._timers
        if not timers or timers[0][0] > self.now_ns:
            return  # the common case, on every scheduling decision
        while True:
            deadline = self.next_deadline()
            if deadline is None or deadline > self.now_ns:
                return
            _, _, task = heapq.heappop(self._timers)
            self.wake(task)

    def advance_to_next_deadline(self) -> bool:
        """Nothing can run: jump the clock to the next deadline and wake its
        tasks. False when no deadline is pending (a deadlock)."""
        deadline = self.next_deadline()
        if deadline is None:
            return False
        self.now_ns = max(self.now_ns, deadline)
        self.expire_timers()
        return True

    # -- exit -----------------------------------------------------------------

    def exit_process(self, proc: Process, code: int | None = None, signal: int | None = None) -> None:
        """End every task of `proc`, release its objects and wake who waits."""
        if not proc.alive:
            return
        if signal is not None:
            proc.signal = signal
        else:
            proc.exit_code = code & 0xFFFFFFFF
        for task in proc.tasks:
            self._end_task(task, code if code is not None else 128 + (signal or 0))
        port.on_process_exit(self, proc)
        capabilities.release_all(self, proc)
        parent = self.processes.get(proc.ppid)
        if parent is not None:
            parent.child_waitq.wake_all(self)

    def exit_task(self, task: Task, code: int):
        """End one thread; the last thread's end ends the process."""
        proc = task.process
        if all(t is task or not t.alive for t in proc.tasks):
            self.exit_process(proc, code)
        else:
            self._end_task(task, code)
            port.on_task_exit(self, task)  # upstream cleans up a dying task's ports per task
        return EXITED

    def _end_task(self, task: Task, code: int) -> None:
        if not task.alive:
            return
        if task.state is TaskState.BLOCKED:
            for q in task.block.queues:
                try:
                    q.waiters.remove(task)
                except ValueError:
                    pass
            task.block = None
        task.state = TaskState.DEAD
        task.exit_code = code
        task.joiners.wake_all(self)
        self.on_task_exit(task)
