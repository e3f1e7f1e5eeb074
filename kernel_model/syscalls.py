"""The syscall table, declared once as data.

Each row gives the number, the upstream name, the typed arguments and the
name of the kernel handler. The dispatcher (`kernel.Kernel`), the trace
decoder (`emu.trace`) and the guest C header (`tools/gen_header.py` writes
`guest_programs/include/strat9_sys.h`) all read this table, so they cannot
drift apart. `status` says whether the model implements the call:
"implemented"; "planned" (part of the ABI contract, not written yet:
ENOSYS for now); or "unsupported" (a known upstream number outside the
contract: ENOSYS, like gVisor's table of unsupported calls).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    """How an argument is decoded for the trace."""

    INT = "int"          # signed decimal
    UINT = "uint"        # unsigned decimal
    HEX = "hex"          # unsigned hexadecimal
    HANDLE = "handle"    # capability id, shown as h=N
    PTR = "ptr"          # opaque guest pointer
    LEN = "len"          # a byte count that sizes another argument
    MSG_IN = "msg_in"    # IpcMessage read by the kernel
    MSG_OUT = "msg_out"  # IpcMessage written by the kernel
    MSG_INOUT = "msg_inout"  # read on entry, reply written back (call)
    PATH = "path"        # UTF-8 path, length in the next LEN argument
    BUF = "buf"          # bytes read by the kernel, length in the next LEN argument
    TIMESPEC_IN = "timespec_in"
    TIMESPEC_OUT = "timespec_out"
    HANDLEINFO_OUT = "handleinfo_out"
    U64_OUT = "u64_out"
    STATUS_OUT = "status_out"  # i32 wait status written by the kernel
    FD = "fd"
    CLOCK = "clock"
    PROT = "prot"
    MAP_FLAGS = "map_flags"
    WAIT_OPTIONS = "wait_options"
    TIMEOUT_NS = "timeout_ns"
    PID = "pid"
    ARCH_PRCTL_CODE = "arch_prctl_code"


@dataclass(frozen=True)
class Arg:
    name: str
    kind: Kind


@dataclass(frozen=True)
class Syscall:
    nr: int
    name: str
    args: tuple[Arg, ...]
    handler: str | None  # Kernel method name; None when unsupported
    blocks: bool = False  # may return a Block
    errors: tuple[str, ...] = ()
    status: str = "implemented"
    ret: Kind = Kind.INT  # how a success value is shown

    @property
    def short(self) -> str:
        """The name without its SYS_ prefix, lower case, as strace shows it."""
        return self.name[4:].lower()


def _a(spec: str) -> tuple[Arg, ...]:
    """Parse 'name:kind, name:kind' into Arg tuples."""
    out = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, kind = part.split(":")
        out.append(Arg(name, Kind(kind)))
    return tuple(out)


def _sys(nr, name, args="", handler=None, *, blocks=False, errors="", status="implemented", ret=Kind.INT):
    return Syscall(nr, name, _a(args), handler, blocks, tuple(errors.split()), status, ret)


TABLE: tuple[Syscall, ...] = (
    # 0-6: capabilities (ABI.md section 4)
    _sys(0, "SYS_NULL", "", "sys_null", ret=Kind.HEX),
    _sys(1, "SYS_HANDLE_DUPLICATE", "h:handle", "sys_handle_duplicate", errors="EPERM EBADF ENOMEM", ret=Kind.HANDLE),
    _sys(2, "SYS_HANDLE_CLOSE", "h:handle", "sys_handle_close", errors="EBADF"),
    _sys(3, "SYS_HANDLE_WAIT", "h:handle, timeout:timeout_ns", "sys_handle_wait", blocks=True,
         errors="EBADF EPERM EAGAIN ETIMEDOUT EPIPE ENOTSUP", ret=Kind.HEX),
    _sys(4, "SYS_HANDLE_GRANT", "h:handle, pid:pid", "sys_handle_grant", errors="EBADF EPERM EINVAL ENOENT ENOMEM",
         ret=Kind.HANDLE),
    _sys(5, "SYS_HANDLE_REVOKE", "h:handle", "sys_handle_revoke", errors="EBADF EPERM"),
    _sys(6, "SYS_HANDLE_INFO", "h:handle, out:handleinfo_out", "sys_handle_info", errors="EFAULT EBADF"),
    # 100-101: memory (section 8)
    _sys(100, "SYS_MMAP", "addr:hex, len:uint, prot:prot, flags:map_flags, fd:int, off:hex", "sys_mmap",
         errors="EINVAL ENOMEM ENOSYS EEXIST", ret=Kind.HEX),
    _sys(101, "SYS_MUNMAP", "addr:hex, len:uint", "sys_munmap", errors="EINVAL"),
    _sys(102, "SYS_BRK", "addr:hex", status="unsupported"),
    _sys(103, "SYS_MREMAP", "old:hex, old_len:uint, new_len:uint, flags:hex", status="unsupported"),
    _sys(104, "SYS_MPROTECT", "addr:hex, len:uint, prot:prot", status="unsupported"),
    # 200-211: ports, namespace, rings (sections 5 and 7)
    _sys(200, "SYS_IPC_CREATE_PORT", "flags:hex", "sys_ipc_create_port", ret=Kind.HANDLE, errors="ENOMEM"),
    _sys(201, "SYS_IPC_SEND", "h:handle, msg:msg_in", "sys_ipc_send", blocks=True, errors="EPERM EBADF EFAULT EPIPE"),
    _sys(202, "SYS_IPC_RECV", "h:handle, out:msg_out", "sys_ipc_recv", blocks=True,
         errors="EPERM EBADF EFAULT EPIPE EINVAL ENOMEM"),
    _sys(203, "SYS_IPC_CALL", "h:handle, msg:msg_inout", "sys_ipc_call", blocks=True,
         errors="EPERM EBADF EFAULT EPIPE"),
    _sys(204, "SYS_IPC_REPLY", "msg:msg_in", "sys_ipc_reply", errors="EFAULT EBADF EPERM EINVAL ENOMEM"),
    _sys(205, "SYS_IPC_BIND_PORT", "h:handle, path:path, len:len", "sys_ipc_bind_port", blocks=True,
         errors="EFAULT EINVAL EPERM EBADF EEXIST"),
    _sys(206, "SYS_IPC_UNBIND_PORT", "path:path, len:len", "sys_ipc_unbind_port", errors="EPERM EFAULT EINVAL EBADF"),
    _sys(207, "SYS_IPC_TRY_RECV", "h:handle, out:msg_out", "sys_ipc_try_recv",
         errors="EPERM EBADF EFAULT EAGAIN EPIPE EINVAL ENOMEM"),
    _sys(208, "SYS_IPC_CONNECT", "path:path, len:len", "sys_ipc_connect", errors="EFAULT EINVAL ENOENT EBADF ENOMEM",
         ret=Kind.HANDLE),
    _sys(210, "SYS_IPC_RING_CREATE", "size:uint", "sys_ipc_ring_create", errors="EINVAL ENOMEM", ret=Kind.HANDLE),
    _sys(211, "SYS_IPC_RING_MAP", "h:handle, out:u64_out", "sys_ipc_ring_map", errors="EFAULT EPERM EBADF ENOMEM"),
    # 220-224: channels (section 6)
    _sys(220, "SYS_CHAN_CREATE", "capacity:uint", "sys_chan_create", ret=Kind.HANDLE, errors="ENOMEM"),
    _sys(221, "SYS_CHAN_SEND", "h:handle, msg:msg_in", "sys_chan_send", blocks=True, errors="EFAULT EBADF EPERM EPIPE"),
    _sys(222, "SYS_CHAN_RECV", "h:handle, out:msg_out", "sys_chan_recv", blocks=True, errors="EBADF EPERM EPIPE EFAULT"),
    _sys(223, "SYS_CHAN_TRY_RECV", "h:handle, out:msg_out", "sys_chan_try_recv", errors="EBADF EPERM EAGAIN EPIPE EFAULT"),
    _sys(224, "SYS_CHAN_CLOSE", "h:handle", "sys_chan_close", errors="EBADF"),
    # 230-234: semaphores (section 7)
    _sys(230, "SYS_SEM_CREATE", "initial:uint", "sys_sem_create", errors="EINVAL ENOMEM", ret=Kind.HANDLE),
    _sys(231, "SYS_SEM_WAIT", "h:handle", "sys_sem_wait", blocks=True, errors="EPERM EBADF EPIPE"),
    _sys(232, "SYS_SEM_TRYWAIT", "h:handle", "sys_sem_trywait", errors="EPERM EBADF EAGAIN EPIPE"),
    _sys(233, "SYS_SEM_POST", "h:handle", "sys_sem_post", errors="EPERM EBADF EINVAL EPIPE"),
    _sys(234, "SYS_SEM_CLOSE", "h:handle", "sys_sem_close", errors="EBADF"),
    # 300-350: processes and threads (section 8)
    _sys(300, "SYS_PROC_EXIT", "code:int", "sys_proc_exit"),
    _sys(301, "SYS_PROC_YIELD", "", "sys_proc_yield"),
    _sys(302, "SYS_PROC_FORK", "", "sys_proc_fork", errors="ENOMEM EAGAIN"),
    _sys(303, "SYS_FUTEX_WAIT", "addr:hex, val:uint, timeout:hex", status="unsupported"),
    _sys(304, "SYS_FUTEX_WAKE", "addr:hex, count:uint", status="unsupported"),
    _sys(308, "SYS_PROC_GETPID", "", "sys_getpid"),
    _sys(309, "SYS_PROC_GETPPID", "", "sys_getppid"),
    _sys(310, "SYS_PROC_WAITPID", "pid:int, status:status_out, options:wait_options", "sys_proc_waitpid",
         blocks=True, errors="EINVAL ECHILD EFAULT"),
    _sys(311, "SYS_GETPID", "", "sys_getpid"),
    _sys(312, "SYS_GETTID", "", "sys_gettid"),
    _sys(334, "SYS_EXIT_GROUP", "code:int", "sys_exit_group"),
    _sys(341, "SYS_THREAD_CREATE", "entry:ptr, stack_top:ptr, arg0:ptr, flags:hex, tls:ptr", "sys_thread_create",
         errors="EINVAL EAGAIN ENOMEM"),
    _sys(342, "SYS_THREAD_JOIN", "tid:int, status:status_out, flags:hex", "sys_thread_join", blocks=True,
         errors="EINVAL ENOENT EFAULT"),
    _sys(343, "SYS_THREAD_EXIT", "code:int", "sys_thread_exit", errors="EINVAL"),
    _sys(350, "SYS_ARCH_PRCTL", "code:arch_prctl_code, addr:ptr", "sys_arch_prctl", errors="EINVAL EFAULT"),
    # 400-: console
    _sys(403, "SYS_OPEN", "path:path, len:len, flags:hex", status="unsupported"),
    _sys(404, "SYS_WRITE", "fd:fd, buf:buf, len:len", "sys_write", errors="EBADF EFAULT EPERM"),
    _sys(405, "SYS_READ", "fd:fd, buf:ptr, len:len", status="unsupported"),
    _sys(406, "SYS_CLOSE", "fd:fd", status="unsupported"),
    # 500-501: time
    _sys(500, "SYS_CLOCK_GETTIME", "clock:clock, tp:timespec_out", "sys_clock_gettime", errors="EFAULT EINVAL"),
    _sys(501, "SYS_NANOSLEEP", "req:timespec_in, rem:ptr", "sys_nanosleep", blocks=True, errors="EFAULT EINVAL"),
    # 600: debug log
    _sys(600, "SYS_DEBUG_LOG", "buf:buf, len:len", "sys_debug_log", errors="EPERM EFAULT"),
    # 900: ABI version
    _sys(900, "SYS_ABI_VERSION", "", "sys_abi_version", ret=Kind.HEX),
)

BY_NR: dict[int, Syscall] = {s.nr: s for s in TABLE}
BY_NAME: dict[str, Syscall] = {s.name: s for s in TABLE}

assert len(BY_NR) == len(TABLE), "duplicate syscall number"
