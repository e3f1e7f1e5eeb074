"""reply: filled in by the IPC work (issue 3)."""
