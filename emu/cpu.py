"""One Unicorn instance per process, with the syscall trap.

The hot path is `syscall` -> the C hook of `_trap` (emu/_trap.c): one
batched register read, one call of `Kernel.dispatch` (or of the tracer)
with Python ints, one batched register write. There is no per-instruction
or per-block Python hook outside the debug instruction trace.
"""

from __future__ import annotations

import ctypes
import re
from typing import NamedTuple

from capstone import CS_ARCH_X86, CS_MODE_64, Cs
from unicorn import UC_ARCH_X86, UC_HOOK_INSN, UC_HOOK_INTR, UC_HOOK_MEM_INVALID, UC_MODE_64, UC_TLB_VIRTUAL, Uc
from unicorn import unicorn_const as UCC
from unicorn import x86_const as X
from unicorn.unicorn_py3.unicorn import uclib

from ._trap import Trap
from .address_space import UNICORN_LIB, AddressSpace
from .faults import REG_ORDER, SIGSEGV

# Registers read on every syscall: number, the six arguments, then rip (of
# the syscall instruction) and rflags for the rcx/r11 the CPU would set.
SYSCALL_REGS = (X.UC_X86_REG_RAX, X.UC_X86_REG_RDI, X.UC_X86_REG_RSI, X.UC_X86_REG_RDX, X.UC_X86_REG_R10,
                X.UC_X86_REG_R8, X.UC_X86_REG_R9, X.UC_X86_REG_RIP, X.UC_X86_REG_EFLAGS)
# Registers written back: the result, and as on hardware rcx = return rip, r11 = rflags.
RESULT_REGS = (X.UC_X86_REG_RAX, X.UC_X86_REG_RCX, X.UC_X86_REG_R11)
# Registers shown in fault reports, and copied to a forked child with the
# vector state below.
REPORT_REGS = (X.UC_X86_REG_RAX, X.UC_X86_REG_RBX, X.UC_X86_REG_RCX, X.UC_X86_REG_RDX, X.UC_X86_REG_RSI,
               X.UC_X86_REG_RDI, X.UC_X86_REG_RBP, X.UC_X86_REG_RSP, X.UC_X86_REG_R8, X.UC_X86_REG_R9,
               X.UC_X86_REG_R10, X.UC_X86_REG_R11, X.UC_X86_REG_R12, X.UC_X86_REG_R13, X.UC_X86_REG_R14,
               X.UC_X86_REG_R15, X.UC_X86_REG_RIP, X.UC_X86_REG_EFLAGS, X.UC_X86_REG_FS_BASE)
GS_BASE = X.UC_X86_REG_GS_BASE
VECTOR_REGS = tuple(getattr(X, f"UC_X86_REG_XMM{i}") for i in range(16)) + (X.UC_X86_REG_MXCSR,
                                                                            X.UC_X86_REG_FPCW)
USER_RFLAGS = 0x202  # IF set, as for a fresh user thread


class ThreadStart(NamedTuple):
    """The first registers of a thread not yet run (ABI.md SYS_THREAD_CREATE)."""

    entry: int
    stack_top: int
    arg0: int
    tls: int


_INTR_CB = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint32, ctypes.c_void_p)
_MEM_CB = ctypes.CFUNCTYPE(ctypes.c_bool, ctypes.c_void_p, ctypes.c_int, ctypes.c_uint64, ctypes.c_int,
                           ctypes.c_int64, ctypes.c_void_p)
_CODE_CB = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint32, ctypes.c_void_p)

# Instructions that fault with #GP at CPL 3. Unicorn runs guests at CPL 0,
# so each one found in the image gets a hook at its own address.
PRIVILEGED = frozenset({"hlt", "cli", "sti", "in", "out", "insb", "insw", "insd", "outsb", "outsw", "outsd",
                        "lgdt", "lidt", "lldt", "ltr", "lmsw", "clts", "invd", "wbinvd", "invlpg", "rdmsr",
                        "wrmsr", "swapgs", "sysret", "sysretq", "sysexit", "wrmsrns", "invpcid", "xsetbv"})

_cs = Cs(CS_ARCH_X86, CS_MODE_64)
NEVER = 1 << 63
TCG_BUFFER_SIZE = 32 << 20


def raw_function(name: str):
    """A libunicorn function without ctypes argtypes: the binding's argument
    checks cost about 0.5 us a call, more than the call itself. Callers pass
    ctypes objects only (the c_void_p handle, arrays)."""
    fn = getattr(UNICORN_LIB, name)
    fn.restype = ctypes.c_int
    return fn


_RIP_ID = ctypes.c_int(X.UC_X86_REG_RIP)
REG_READ = raw_function("uc_reg_read")
EMU_STOP = raw_function("uc_emu_stop")
UC_CTL = raw_function("uc_ctl")
# uc_ctl(UC_CTL_WRITE(UC_CTL_TLB_FLUSH, 0)): the binding has no method for it.
_CTL_FLUSH_TLB = ctypes.c_int((UCC.UC_CTL_IO_WRITE << 30) | UCC.UC_CTL_TLB_FLUSH)
# What the C syscall trap calls, in its order, from the binding's library.
_TRAP_FUNCTIONS = tuple(ctypes.cast(getattr(UNICORN_LIB, name), ctypes.c_void_p).value for name in (
    "uc_hook_add", "uc_hook_del", "uc_reg_read_batch", "uc_reg_write_batch", "uc_emu_start", "uc_emu_stop"))
_CONTROL_REG = re.compile(r"\b[cd]r\d+\b")


def privileged_sites(code: bytes, base: int) -> list[tuple[int, str]]:
    """Linear sweep for privileged instructions. A false positive is harmless:
    its hook fires only if that exact address executes as an instruction."""
    out = []
    off, n = 0, len(code)
    while off < n:
        nxt = off
        for addr, size, mnem, ops in _cs.disasm_lite(code[off:], base + off):
            if mnem in PRIVILEGED or (mnem == "mov" and _CONTROL_REG.search(ops)):
                out.append((addr, f"{mnem} {ops}".strip()))
            nxt = addr - base + size
        off = nxt if nxt > off else off + 1  # skip a byte capstone cannot decode
    return out


class CPU:
    """A process's Unicorn instance, its address space and its hooks."""

    def __init__(self, system):
        self.system = system
        self.uc = Uc(UC_ARCH_X86, UC_MODE_64)
        # Unicorn's default translation buffer is 1 GiB: creating and closing an
        # engine then cost 0.96 and 0.18 ms, against 0.40 and 0.08 ms with 32 MiB
        # (qemu-user's size). A fuller buffer is flushed and refilled; the blocks
        # translated again start at the same addresses, so slices do not change.
        self.uc.ctl_set_tcg_buffer_size(TCG_BUFFER_SIZE)
        self.uch = self.uc._uch
        # The binding closes every engine at interpreter exit, even one whose C
        # trap still holds its hook: leave that to the Uc's own end instead,
        # which the trap (holding a reference) never outlives.
        self.uc._Uc__finalizer.atexit = False
        # Guest stores stay on Unicorn's inline fast path only on a page whose TLB
        # entry is not executable and that no memory hook covers (notdirty_write in
        # Unicorn 2.1.4's cputlb.c): so a TLB filled from each region's own
        # protection (the trap's fill hook), and fault hooks over everything but
        # the read-write regions. Without both, every push, call and spill takes
        # the slow path (fib 4.7x slower).
        self.uc.ctl_set_tlb_mode(UC_TLB_VIRTUAL)
        self._fault_hooks: list[int] = []
        self.mem = AddressSpace(self.uc, system.limits.process_memory, system.memory)
        self.mem.on_change = self._regions_changed
        self.stop_reason = None  # why a hook stopped the run
        self.preempt = None  # set by the watchdog thread when the time limit is reached
        self.pending = None  # a kernel result the scheduler must act on
        self.fault = None
        self.bad_access = None  # (access, address, size) from the invalid-memory hook
        self.ran = False  # has run guest code (so may hold translated blocks)
        self.counted = False  # has the hook that limits slices (blocks, or instructions when exact)
        self.lone_slice = False  # the current slice has no block limit: nobody else is runnable
        self.arm_limit = False  # a task became runnable: stop after this syscall to install the hook
        self.slice_stop_at = 0  # the slice's own syscall budget, while stop_at is borrowed for arm_limit
        self._hooks: dict[int, object] = {}
        self._rip = ctypes.c_uint64()
        self._rip_ref = ctypes.byref(self._rip)
        self.priv_sites: list[tuple[int, str]] = []
        self._install()

    # -- hooks ------------------------------------------------------------------

    def _add(self, htype: int, cb, *extra, begin: int = 1, end: int = 0) -> int:
        """Add a ctypes hook over [begin, end] (all addresses by default); its handle."""
        h = ctypes.c_size_t()
        err = uclib.uc_hook_add(self.uch, ctypes.byref(h), htype, ctypes.cast(cb, ctypes.c_void_p), None,
                                ctypes.c_uint64(begin), ctypes.c_uint64(end), *extra)
        if err:
            raise RuntimeError(f"uc_hook_add failed: {err}")
        self._hooks[id(cb)] = cb  # keep the ctypes thunk alive
        return h.value

    def _install(self) -> None:
        system = self.system
        uch = self.uch
        emu_stop = EMU_STOP
        cpu = self

        def on_other(r):  # blocked, yielded or exited: the scheduler acts on it
            cpu.pending = r
            cpu.stop_reason = "kernel"

        def on_budget():
            if cpu.arm_limit:  # the scheduler must install the block hook now
                cpu.stop_reason = "arm"
                return True
            if system.exact or system.slice_over(cpu):
                cpu.stop_reason = "budget"
                return True
            return False

        def on_error(exc):  # a bug, never a guest's doing: stop and report it
            cpu.stop_reason = "internal"
            cpu.pending = exc

        tracer = system.tracer
        sink = tracer.trap_sink() if tracer is not None else None
        handler = tracer.syscall if tracer is not None and sink is None else system.kernel.dispatch
        self.trap = Trap(self.uc, uch.value, _TRAP_FUNCTIONS, SYSCALL_REGS, RESULT_REGS, X.UC_X86_INS_SYSCALL,
                         handler, on_other, on_budget, on_error)
        if sink is not None:
            self.trap.trace_with(sink, tracer.syscall, tracer.finish_plain)
        self.trap.exact = system.exact
        # Only the --timeout watchdog thread needs Python while a guest computes.
        self.trap.release_gil = system.timeout is not None

        def on_intr(_uc, intno, _ud):
            cpu.stop_reason = "intr"
            cpu.pending = intno
            emu_stop(uch)

        def on_bad_mem(_uc, access, address, size, value, _ud):
            cpu.bad_access = (access, address, size)
            return False

        def on_port_io(_uc, *args):
            cpu.stop_reason = "privileged"
            emu_stop(uch)
            return 0

        self._on_privileged = _CODE_CB(lambda _uc, addr, size, _ud: on_port_io(_uc))
        self._add(UC_HOOK_INTR, _INTR_CB(on_intr))
        self._on_bad_mem = _MEM_CB(on_bad_mem)
        self._regions_changed()
        io_cb = ctypes.CFUNCTYPE(ctypes.c_uint32, ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int,
                                 ctypes.c_void_p)(lambda u, port, size, ud: on_port_io(u))
        out_cb = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint32,
                                  ctypes.c_void_p)(lambda u, port, size, value, ud: on_port_io(u))
        self._add(UC_HOOK_INSN, io_cb, ctypes.c_int(X.UC_X86_INS_IN))
        self._add(UC_HOOK_INSN, out_cb, ctypes.c_int(X.UC_X86_INS_OUT))

    def _regions_changed(self) -> None:
        """The address space changed: fault hooks over everything but the
        read-write regions (see __init__), and no stale TLB entry. A
        write-only region stays covered: a read from it is a fault to report."""
        uch = self.uch
        for h in self._fault_hooks:
            uclib.uc_hook_del(uch, h)
        lo = 0
        gaps = []
        for r in self.mem.regions:
            if r.prot & 3 == 3:
                if r.start > lo:
                    gaps.append((lo, r.start - 1))
                lo = r.end
        gaps.append((lo, (1 << 64) - 1))
        self.trap.track_regions([(r.start, r.end, r.prot) for r in self.mem.regions])
        self.fault_ranges = gaps
        self._fault_hooks = [self._add(UC_HOOK_MEM_INVALID, self._on_bad_mem, begin=b, end=e) for b, e in gaps]
        UC_CTL(uch, _CTL_FLUSH_TLB)

    def hook_privileged(self, sites: list[tuple[int, str]]) -> None:
        from unicorn import UC_HOOK_CODE
        self.priv_sites += sites
        for addr, _text in sites:
            self._add(UC_HOOK_CODE, self._on_privileged, begin=addr, end=addr)

    def add_debug_hook(self, htype: int, cb) -> None:
        self._add(htype, cb)

    # -- registers ----------------------------------------------------------------

    def set_rax(self, value: int) -> None:
        self.trap.set_rax(value)

    def rip(self) -> int:
        REG_READ(self.uch, _RIP_ID, self._rip_ref)
        return self._rip.value

    def save_context(self, ctx=None):
        """Save the whole CPU state into ctx (a UcContext, allocated once per
        thread); only when threads of one process switch."""
        if ctx is None:
            return self.uc.context_save()
        self.uc.context_update(ctx)
        return ctx

    def restore_context(self, ctx) -> None:
        self.uc.context_restore(ctx)

    def start_thread(self, start: ThreadStart) -> None:
        regs = dict.fromkeys(REPORT_REGS, 0)
        regs.update({X.UC_X86_REG_RIP: start.entry, X.UC_X86_REG_RSP: start.stack_top,
                     X.UC_X86_REG_RDI: start.arg0, X.UC_X86_REG_FS_BASE: start.tls,
                     X.UC_X86_REG_EFLAGS: USER_RFLAGS})
        for reg, value in regs.items():
            self.uc.reg_write(reg, value)

    def copy_registers_from(self, other: "CPU") -> None:
        """fork: the calling thread's registers, general and vector."""
        for reg in REPORT_REGS + (GS_BASE,) + VECTOR_REGS:
            self.uc.reg_write(reg, other.uc.reg_read(reg))

    def syscall_return(self) -> tuple[int, int]:
        """Inside the syscall hook: (the rip after the syscall, rflags)."""
        return self.trap.syscall_return()

    # The trap counts syscalls and holds the loaded task: read by the hook in C.
    @property
    def task(self):
        return self.trap.task

    @task.setter
    def task(self, task) -> None:
        self.trap.task = task

    @property
    def nsys(self) -> int:
        """Syscalls made in this instance."""
        return self.trap.nsys

    @property
    def stop_at(self) -> int:
        """The syscall count at which the hook asks the scheduler whether the slice is over."""
        return self.trap.stop_at

    @stop_at.setter
    def stop_at(self, n: int) -> None:
        self.trap.stop_at = n

    def registers(self) -> dict[str, int]:
        return {name: self.uc.reg_read(reg) for name, reg in zip(REG_ORDER, REPORT_REGS)}

    def code_at(self, addr: int, size: int = 15) -> bytes:
        for n in (size, 8, 4, 1):
            try:
                return bytes(self.uc.mem_read(addr, n))
            except Exception:
                continue
        return b""

    # -- running ------------------------------------------------------------------

    def run(self, count: int = 0) -> int:
        """Run from the current rip until a hook stops it or it raises; returns the uc_err."""
        self.stop_reason = None
        self.preempt = None
        self.pending = None
        self.bad_access = None
        self.ran = True
        # `until` must be unreachable: with 0, a jump to address 0 would look like
        # a normal stop instead of a fetch fault. A non-canonical address never runs.
        return self.trap.run(NEVER, count)

    def close(self) -> None:
        """Free the Unicorn instance of an exited process (its memory, its
        translation cache). Only between runs, never from a hook."""
        self.trap.close()
        self.uc._Uc__finalizer()  # the binding's own uc_close, so it is not closed twice
        self._hooks.clear()
        self._on_privileged = None
        self.mem = self.task = None

    def stop(self) -> None:
        EMU_STOP(self.uch)


__all__ = ["CPU", "privileged_sites", "SIGSEGV"]
