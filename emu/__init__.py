"""The machine: ELF loading, one Unicorn instance per process, the
scheduler, faults, tracing and the command line.

    from emu import System
    system = System()
    system.spawn("build/guests/gcc-O2/hello.elf")
    result = system.run()
    assert result.status == 0 and b"hello" in result.stdout
"""

from .loader import LoadError
from .system import ProcessResult, RunResult, System, run
from .trace import Tracer

__all__ = ["System", "RunResult", "ProcessResult", "LoadError", "Tracer", "run"]
