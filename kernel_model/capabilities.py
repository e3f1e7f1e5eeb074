"""Capability handles (ABI.md section 4). Filled in by the IPC work (issue 3)."""


def init_kernel(k) -> None:
    pass


def init_process(k, proc, parent) -> None:
    proc.handles = {}


def release_all(k, proc) -> None:
    proc.handles.clear()
