"""IPC ports (ABI.md section 5). Filled in by the IPC work (issue 3)."""


def on_process_exit(k, proc) -> None:
    pass
