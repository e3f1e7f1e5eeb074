"""Process and thread calls (ABI.md section 8)."""

from __future__ import annotations

from .wait import EXITED, YIELD

ABI_VERSION_MAJOR = 0
ABI_VERSION_MINOR = 1


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
