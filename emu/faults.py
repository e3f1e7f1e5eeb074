"""Guest faults: which signal a CPU exception becomes (as Linux delivers
them to a user process), and the readable report printed on stderr."""

from __future__ import annotations

from dataclasses import dataclass

from capstone import CS_ARCH_X86, CS_MODE_64, Cs

SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV = 4, 5, 7, 8, 11
SIGNAL_NAMES = {SIGILL: "SIGILL", SIGTRAP: "SIGTRAP", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGSEGV: "SIGSEGV"}

# x86 exception vector -> signal, as the Linux x86 trap handlers map them.
VECTOR_SIGNAL = {0: SIGFPE, 1: SIGTRAP, 3: SIGTRAP, 4: SIGSEGV, 5: SIGSEGV, 6: SIGILL, 7: SIGFPE,
                 13: SIGSEGV, 14: SIGSEGV, 16: SIGFPE, 17: SIGBUS, 19: SIGFPE}
VECTOR_NAMES = {0: "divide error (#DE)", 1: "debug trap (#DB)", 3: "breakpoint (#BP)", 4: "overflow (#OF)",
                5: "bound range (#BR)", 6: "invalid opcode (#UD)", 7: "device not available (#NM)",
                13: "general protection (#GP)", 14: "page fault (#PF)", 16: "x87 floating point (#MF)",
                17: "alignment check (#AC)", 19: "SIMD floating point (#XM)"}

REG_ORDER = ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13",
             "r14", "r15", "rip", "rflags", "fs_base")

_cs = Cs(CS_ARCH_X86, CS_MODE_64)


@dataclass
class Fault:
    signal: int
    what: str  # e.g. "write to unmapped memory at 0xdead0000"
    rip: int
    code: bytes = b""  # instruction bytes at rip (may be empty if unreadable)
    regs: dict | None = None
    address: int | None = None

    @property
    def signal_name(self) -> str:
        return SIGNAL_NAMES.get(self.signal, f"signal {self.signal}")


def disassemble(code: bytes, addr: int) -> str:
    for insn in _cs.disasm(code, addr, 1):
        return f"{insn.mnemonic} {insn.op_str}".strip()
    return "(undecodable)" if code else "(unreadable)"


def format_report(pid: int, tid: int, name: str, fault: Fault) -> str:
    lines = [f"strat9-emu: task {tid} (pid {pid}, {name}) killed by {fault.signal_name}: {fault.what}"]
    insn = disassemble(fault.code, fault.rip)
    raw = fault.code[:15].hex(" ") if fault.code else "??"
    lines.append(f"  at rip={fault.rip:#x}: {insn}    [{raw}]")
    if fault.regs:
        regs = [f"{r}={fault.regs[r]:#018x}" for r in REG_ORDER if r in fault.regs]
        for i in range(0, len(regs), 4):
            lines.append("  " + "  ".join(regs[i:i + 4]))
    return "\n".join(lines)
