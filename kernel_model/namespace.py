"""The port namespace (ABI.md section 5). Filled in by the IPC work (issue 3)."""


def init_kernel(k) -> None:
    pass
