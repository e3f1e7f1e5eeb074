"""Helpers for the kernel model's unit tests: a kernel with a fake console,
a fake scheduler (the on_wake callback records who became runnable) and
processes on FakeMemory."""

from __future__ import annotations

import struct

from kernel_model import Block, Errno, FakeMemory, Kernel
from kernel_model.errno import decode_result
from kernel_model.memory import PROT_READ, PROT_WRITE
from kernel_model.message import IpcMessage
from kernel_model.process import TaskState
from kernel_model.syscalls import BY_NAME

# Guest memory layout of every test process.
RW_BASE, RW_SIZE = 0x10000, 0x10000  # read/write
MSG = 0x10000  # an IpcMessage buffer
OUT = 0x10100  # an output buffer
INFO = 0x10200  # a HandleInfo / u64 output
PATH = 0x11000  # a path
RO = 0x40000  # a read-only page
UNMAPPED = 0x80000

U64_MAX = (1 << 64) - 1


def nr(name: str) -> int:
    return BY_NAME[name].nr


class FakeConsole:
    def __init__(self):
        self.writes: list[tuple[int, int, bytes]] = []
        self.lines: list[tuple[int, str]] = []

    def write(self, pid: int, fd: int, data: bytes) -> None:
        self.writes.append((pid, fd, data))

    def debug(self, pid: int, line: str) -> None:
        self.lines.append((pid, line))


class FakeMachine:
    """The CPU side, as far as the kernel sees it: new threads and forked
    children become runnable (they join `woken`), fs/gs bases per task."""

    def __init__(self, woken: list):
        self.woken = woken
        self.started: dict[int, tuple] = {}  # tid -> (entry, stack_top, arg0, tls)
        self.bases: dict[tuple[int, str], int] = {}

    def start_thread(self, task, entry, stack_top, arg0, tls):
        self.started[task.tid] = (entry, stack_top, arg0, tls)
        self.woken.append(task)

    def fork(self, parent, child):
        mem = FakeMemory()
        for page, data in parent.process.memory.pages.items():
            mem.pages[page] = bytearray(data)
        mem.prot = dict(parent.process.memory.prot)
        child.memory = mem
        self.woken.append(child.main_task)

    def get_fs_base(self, task):
        return self.bases.get((task.tid, "fs"), 0)

    def set_fs_base(self, task, value):
        self.bases[(task.tid, "fs")] = value

    def get_gs_base(self, task):
        return self.bases.get((task.tid, "gs"), 0)

    def set_gs_base(self, task, value):
        self.bases[(task.tid, "gs")] = value


class Sim:
    """A kernel plus the bookkeeping of a scheduler: `woken` lists the tasks
    the kernel made runnable, in order."""

    def __init__(self):
        self.woken = []
        self.console = FakeConsole()
        self.machine = FakeMachine(self.woken)
        self.k = Kernel(self.console, on_wake=self.woken.append, machine=self.machine)

    # -- processes -------------------------------------------------------------

    def proc(self, admin: bool = True, name: str = ""):
        mem = FakeMemory()
        mem.map(RW_BASE, RW_SIZE, PROT_READ | PROT_WRITE)
        mem.map(RO, 0x1000, PROT_READ)
        return self.k.spawn_process(mem, name=name, admin=admin)

    def thread(self, proc):
        return self.k.add_task(proc)

    # -- syscalls ----------------------------------------------------------------

    def sys(self, task, name: str, *args):
        """Run a syscall: the signed result, or the Block when the task blocked."""
        args = (list(args) + [0] * 6)[:6]
        r = self.k.dispatch(task, nr(name), *[a & U64_MAX for a in args])
        return decode_result(r)[0] if isinstance(r, int) else r

    def resume(self, task):
        assert task.state is TaskState.RUNNABLE, f"{task} was not woken"
        r = self.k.resume(task)
        return decode_result(r)[0] if isinstance(r, int) else r

    def run_woken(self):
        """Resume every woken task, in wake order; {tid: result}."""
        out = {}
        while self.woken:
            t = self.woken.pop(0)
            if t.state is TaskState.RUNNABLE and t.block is not None:
                out[t.tid] = self.resume(t)
        return out

    # -- memory helpers --------------------------------------------------------------

    @staticmethod
    def put_msg(task_or_proc, addr: int, msg: IpcMessage) -> None:
        _mem(task_or_proc).write(addr, msg.pack())

    @staticmethod
    def get_msg(task_or_proc, addr: int) -> IpcMessage:
        return IpcMessage.unpack(_mem(task_or_proc).read(addr, 64))

    @staticmethod
    def put(task_or_proc, addr: int, data: bytes) -> None:
        _mem(task_or_proc).write(addr, data)

    @staticmethod
    def get_u64(task_or_proc, addr: int) -> int:
        return struct.unpack("<Q", _mem(task_or_proc).read(addr, 8))[0]

    def info(self, task, h):
        """SYS_HANDLE_INFO: (resource_type, permissions, resource) or -errno."""
        r = self.sys(task, "SYS_HANDLE_INFO", h, INFO)
        if r != 0:
            return r
        return struct.unpack("<IIQ", _mem(task).read(INFO, 16))

    def send(self, task, h, msg_type=1, flags=0, payload=b"", name="SYS_IPC_SEND", addr=MSG):
        self.put_msg(task, addr, IpcMessage(0, msg_type, flags, payload.ljust(48, b"\0")))
        return self.sys(task, name, h, addr)

    def bind(self, task, h, path: str):
        data = path.encode()
        self.put(task, PATH, data)
        return self.sys(task, "SYS_IPC_BIND_PORT", h, PATH, len(data))

    def connect(self, task, path: str):
        data = path.encode()
        self.put(task, PATH, data)
        return self.sys(task, "SYS_IPC_CONNECT", PATH, len(data))

    def unbind(self, task, path: str):
        data = path.encode()
        self.put(task, PATH, data)
        return self.sys(task, "SYS_IPC_UNBIND_PORT", PATH, len(data))

    def handle(self, task, h):
        return task.process.handles[h]

    def restrict(self, task, h, perms: int) -> None:
        """Give an existing handle other permission bits (to reach the
        permission errors with handles the ABI never creates)."""
        task.process.handles[h].perms = perms


def _mem(task_or_proc):
    proc = getattr(task_or_proc, "process", task_or_proc)
    return proc.memory


def E(errno: Errno) -> int:
    """The signed result of a failed call."""
    return -int(errno)


def is_block(r) -> bool:
    return isinstance(r, Block)
