"""--insn-trace: every executed instruction, disassembled (slow debug mode:
a per-instruction Python hook, never installed otherwise)."""

from __future__ import annotations

from capstone import CS_ARCH_X86, CS_MODE_64, Cs
from unicorn import UC_HOOK_CODE

from .cpu import _CODE_CB


def attach_insn_trace(system, which: str, limit: int, out) -> None:
    cs = Cs(CS_ARCH_X86, CS_MODE_64)
    count = [0]
    for pid, cpu in system.cpus.items():
        if which != "all" and str(pid) != which:
            continue

        def on_insn(_uc, addr, size, _ud, cpu=cpu, pid=pid):
            if count[0] >= limit:
                return
            count[0] += 1
            code = cpu.code_at(addr, size)
            text = next((f"{i.mnemonic} {i.op_str}".strip() for i in cs.disasm(code, addr, 1)), "(bad)")
            tid = cpu.task.tid if cpu.task else pid
            out.write(f"[{pid}/{tid}] {addr:#014x}: {code.hex():<20} {text}\n")
            if count[0] == limit:
                out.write(f"strat9-emu: --insn-trace-limit {limit} reached; no more instructions shown\n")

        cpu.add_debug_hook(UC_HOOK_CODE, _CODE_CB(on_insn))
