"""Processes and tasks (threads) as the kernel sees them."""

from __future__ import annotations

from enum import Enum


class TaskState(Enum):
    RUNNABLE = "runnable"
    BLOCKED = "blocked"
    DEAD = "dead"


class Task:
    """A thread. The first thread's tid is its process's pid (ABI.md section 3)."""

    __slots__ = ("tid", "process", "state", "block", "cpu", "exit_code", "reply_slot", "reply_waitq",
                 "joiners", "creator", "reaped", "__weakref__")

    def __init__(self, tid: int, process: "Process"):
        self.tid = tid
        self.process = process
        self.state = TaskState.RUNNABLE
        self.block = None  # the Block this task waits in, when BLOCKED
        self.cpu = None  # the machine's saved CPU context; opaque to the model
        self.exit_code: int | None = None
        self.reply_slot = None  # a delivered reply (IpcMessage bytes) not yet consumed
        self.reply_waitq = None  # set by the IPC layer
        self.joiners = None  # tasks blocked in SYS_THREAD_JOIN on this one
        self.creator = 0  # tid of the thread that created it (0: the process's first thread)
        self.reaped = False  # joined

    @property
    def alive(self) -> bool:
        return self.state is not TaskState.DEAD

    def __repr__(self) -> str:
        return f"Task(tid={self.tid}, pid={self.process.pid}, {self.state.value})"


class Process:
    __slots__ = ("pid", "ppid", "name", "memory", "admin", "tasks", "exit_code", "signal", "handles",
                 "children", "child_waitq", "reaped", "mmap_hint", "__weakref__")

    def __init__(self, pid: int, ppid: int, name: str, memory, admin: bool):
        self.pid = pid
        self.ppid = ppid
        self.name = name
        self.memory = memory
        self.admin = admin
        self.tasks: list[Task] = []
        self.exit_code: int | None = None  # set when the process has exited
        self.signal: int | None = None  # set when a fault killed it
        self.handles = None  # the capability table, set by the kernel
        self.children: list[Process] = []
        self.child_waitq = None  # its tasks wait here in SYS_PROC_WAITPID for a child to exit
        self.reaped = False  # waited for
        self.mmap_hint = 0  # where the next SYS_MMAP without MAP_FIXED starts looking

    @property
    def alive(self) -> bool:
        return self.exit_code is None and self.signal is None

    @property
    def main_task(self) -> Task:
        return self.tasks[0]

    def wait_status(self) -> int:
        """The status word of waitpid, encoded like Linux."""
        if self.signal is not None:
            return self.signal & 0x7F
        return (self.exit_code & 0xFF) << 8

    def __repr__(self) -> str:
        return f"Process(pid={self.pid}, {self.name!r})"
