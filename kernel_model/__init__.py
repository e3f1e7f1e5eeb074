"""A pure-Python model of the Strat9-OS kernel's syscall ABI.

It never imports unicorn: guest memory is reached through
`memory.GuestMemory`, and blocking is a value (`wait.Block`).
"""

from .errno import Errno, SyscallError
from .kernel import Kernel
from .memory import FakeMemory, GuestMemory, MemoryFault
from .process import Process, Task, TaskState
from .syscalls import BY_NAME, BY_NR, TABLE, Arg, Kind, Syscall
from .wait import EXITED, YIELD, Block, WaitQueue

__all__ = ["Errno", "SyscallError", "Kernel", "FakeMemory", "GuestMemory", "MemoryFault", "Process", "Task",
           "TaskState", "BY_NAME", "BY_NR", "TABLE", "Arg", "Kind", "Syscall", "EXITED", "YIELD", "Block",
           "WaitQueue"]
