"""Shared-memory rings (ABI.md section 7). Filled in by the IPC work (issue 3)."""


def init_kernel(k) -> None:
    pass
