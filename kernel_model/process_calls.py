"""Process and thread calls (ABI.md section 8; upstream syscall/process.rs,
fork.rs, wait.rs)."""

from __future__ import annotations

import struct

from .errno import Errno, SyscallError
from .memory import write_user
from .wait import EXITED, YIELD, Block

ABI_VERSION_MAJOR = 0
ABI_VERSION_MINOR = 1
USER_TOP = 1 << 47
U32_MAX = 0xFFFFFFFF
WNOHANG = 1
ARCH_SET_GS, ARCH_SET_FS, ARCH_GET_FS, ARCH_GET_GS = 0x1001, 0x1002, 0x1003, 0x1004


def _i64(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def sys_null(k, task, *_):
    return 0x57A79


def sys_abi_version(k, task, *_):
    return (ABI_VERSION_MAJOR << 16) | ABI_VERSION_MINOR


def _exit_code(code: int) -> int:
    # Upstream casts the u64 argument to i32.
    code &= 0xFFFFFFFF
    return code - (1 << 32) if code >= 1 << 31 else code


def sys_proc_exit(k, task, code, *_):
    # Intended-semantics decision (ABI.md section 9): ends the whole process.
    k.exit_process(task.process, _exit_code(code))
    return EXITED


def sys_exit_group(k, task, code, *_):
    k.exit_process(task.process, _exit_code(code))
    return EXITED


def sys_proc_yield(k, task, *_):
    return YIELD


def sys_getpid(k, task, *_):
    return task.process.pid


def sys_getppid(k, task, *_):
    return task.process.ppid


def sys_gettid(k, task, *_):
    return task.tid


# -- threads ---------------------------------------------------------------------


def sys_thread_create(k, task, entry, stack_top, arg0, flags, tls, *_):
    if flags != 0:
        raise SyscallError(Errno.EINVAL)
    if entry == 0 or stack_top == 0 or entry >= USER_TOP or stack_top >= USER_TOP or stack_top & 0xF:
        raise SyscallError(Errno.EINVAL)
    k.check_new_task(task.process)
    thread = k.add_task(task.process)
    thread.creator = task.tid
    # Intended-semantics decision (ABI.md section 9): the TLS base is loaded into fs.
    k.machine.start_thread(thread, entry, stack_top, arg0, tls)
    return thread.tid


def sys_thread_join(k, task, tid, status_ptr, flags, *_):
    if flags != 0 or tid > U32_MAX or tid == task.tid:
        raise SyscallError(Errno.EINVAL)
    target = k.tasks.get(tid)
    # upstream looks the tid up among the children of the calling task
    if target is None or target.creator != task.tid or target.reaped:
        raise SyscallError(Errno.ENOENT)

    def attempt():
        if target.alive:
            return Block(f"thread_join on task {tid}", attempt, (target.joiners,))
        target.reaped = True
        if status_ptr:
            write_user(task.process.memory, status_ptr, struct.pack("<i", _exit_code(target.exit_code)))
        return tid

    return attempt()


def sys_thread_exit(k, task, code, *_):
    if code > 0x7FFFFFFF:  # upstream: i32::try_from(u64) fails
        raise SyscallError(Errno.EINVAL)
    return k.exit_task(task, code)


# -- fork and wait -------------------------------------------------------------------


def sys_proc_fork(k, task, *_):
    parent = task.process
    k.check_new_process()
    child = k.spawn_process(None, parent.name, admin=parent.admin, parent=parent)
    child.mmap_hint = parent.mmap_hint
    try:
        k.machine.fork(task, child)  # ENOMEM when the address space does not fit
    except SyscallError:
        k.discard_process(child)
        raise
    return child.pid


def sys_proc_waitpid(k, task, pid, status_ptr, options, *_):
    options &= 0xFFFFFFFF  # upstream takes the options as u32
    if options & ~WNOHANG:
        raise SyscallError(Errno.EINVAL)
    proc = task.process
    pid = _i64(pid)
    if pid > 0:
        child = k.processes.get(pid)
        if child is None or child.ppid != proc.pid or child.reaped:
            raise SyscallError(Errno.ECHILD)
        candidates = lambda: [child]  # noqa: E731
    elif pid == -1:
        candidates = lambda: [c for c in proc.children if not c.reaped]  # noqa: E731
    else:
        raise SyscallError(Errno.EINVAL)  # process groups: not in upstream either

    def attempt():
        waiting = candidates()
        if not waiting:
            raise SyscallError(Errno.ECHILD)
        for c in waiting:
            if not c.alive:
                c.reaped = True
                if status_ptr:
                    write_user(proc.memory, status_ptr, struct.pack("<i", c.wait_status()))
                return c.pid
        if options & WNOHANG:
            return 0
        return Block(f"waitpid({pid}) for a child of pid {proc.pid}", attempt, (proc.child_waitq,))

    return attempt()


# -- arch_prctl ----------------------------------------------------------------------


def sys_arch_prctl(k, task, code, addr, *_):
    m = k.machine
    if code == ARCH_SET_FS:
        m.set_fs_base(task, addr)
    elif code == ARCH_SET_GS:
        m.set_gs_base(task, addr)
    elif code == ARCH_GET_FS:
        write_user(task.process.memory, addr, struct.pack("<Q", m.get_fs_base(task)))
    elif code == ARCH_GET_GS:
        write_user(task.process.memory, addr, struct.pack("<Q", m.get_gs_base(task)))
    else:
        raise SyscallError(Errno.EINVAL)
    return 0
