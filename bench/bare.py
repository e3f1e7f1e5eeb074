"""The bare Unicorn runner: a Strat9 guest ELF on one Unicorn instance with
nothing but a raw C-API syscall hook. It is the ceiling for anything built
on Unicorn from Python, and the baseline of the emulator's ratios.

It answers only what the benchmark guests that need no IPC ask for:
SYS_NULL (the magic value), SYS_GETPID (1), SYS_WRITE (the bytes are
kept, the result is the length), SYS_PROC_EXIT / SYS_EXIT_GROUP (stop);
anything else gets -ENOSYS. The hook makes the same argtypes-free libunicorn
calls as emu/cpu.py (`raw_function`: a second ctypes handle on the loaded
library, no argtypes, ctypes objects as arguments): one batched register
read, one register write.

`BareRun(..., hook="trap")` installs the same hook logic through strat9-emu's
C syscall trap (emu/_trap.c) instead of a ctypes callback: the ceiling for
a kernel model written in Python on that trap (the trap calls one Python
function per syscall).

Otherwise deliberately independent of the `emu` package (its own 40-line ELF loader,
the same page layout and protections as emu/loader.py, and the same
initial-stack place), so that `python bench/bare.py ELF ARGS...` is also
the smallest whole-process Python + Unicorn program for the start-up
benchmark: it imports unicorn and nothing else of the project.
"""

from __future__ import annotations

import ctypes
import struct
import sys
import time

from unicorn import UC_ARCH_X86, UC_HOOK_INSN, UC_MODE_64, Uc
from unicorn import x86_const as X
from unicorn.unicorn_py3.unicorn import uclib

PAGE = 4096
STACK_BASE = 0x0000_7FFF_F000_0000  # emu/loader.py USER_STACK_BASE
STACK_PAGES = 16
STACK_TOP = STACK_BASE + STACK_PAGES * PAGE
NEVER = 1 << 63

SYS_NULL, SYS_PROC_EXIT, SYS_GETPID, SYS_EXIT_GROUP, SYS_WRITE = 0, 300, 311, 334, 404
SYS_NULL_MAGIC = 0x57A79
ENOSYS = 38

# As emu/cpu.py: the same loaded library, a separate function table without
# argtypes (the binding's argument checks cost more than the calls).
_LIB = ctypes.CDLL(uclib._name)


def _raw(name: str):
    fn = getattr(_LIB, name)
    fn.restype = ctypes.c_int
    return fn


REG_READ_BATCH = _raw("uc_reg_read_batch")
REG_WRITE_BATCH = _raw("uc_reg_write_batch")
EMU_START = _raw("uc_emu_start")
EMU_STOP = _raw("uc_emu_stop")
HOOK_ADD = _raw("uc_hook_add")
MEM_READ = _raw("uc_mem_read")


def load(path: str) -> tuple[int, list[tuple[int, bytearray, int]]]:
    """(entry, [(page address, image, unicorn prot)]) of a static ET_EXEC ELF:
    PT_LOAD pages, file bytes then zeros; a page shared by two segments gets
    both permissions (as emu/loader.py)."""
    data = open(path, "rb").read()
    if data[:4] != b"\x7fELF" or data[4] != 2 or struct.unpack_from("<H", data, 16)[0] != 2:
        raise SystemExit(f"{path}: not a static 64-bit ET_EXEC ELF")
    entry, phoff = struct.unpack_from("<QQ", data, 24)
    phent, phnum = struct.unpack_from("<HH", data, 54)
    loads = []
    for i in range(phnum):
        p_type, p_flags, off, vaddr, _pa, filesz, memsz, _al = struct.unpack_from("<IIQQQQQQ", data, phoff + i * phent)
        if p_type == 1 and memsz:
            # ELF PF_X=1 PF_W=2 PF_R=4 -> unicorn READ=1 WRITE=2 EXEC=4
            prot = (1 if p_flags & 4 else 0) | (2 if p_flags & 2 else 0) | (4 if p_flags & 1 else 0)
            loads.append((off, vaddr, filesz, memsz, prot))
    pages: dict[int, int] = {}
    for _off, vaddr, _fs, memsz, prot in loads:
        for p in range(vaddr & ~(PAGE - 1), (vaddr + memsz + PAGE - 1) & ~(PAGE - 1), PAGE):
            pages[p] = pages.get(p, 0) | prot
    segs: list[list] = []
    for p in sorted(pages):
        if segs and segs[-1][0] + len(segs[-1][1]) == p and segs[-1][2] == pages[p]:
            segs[-1][1].extend(bytes(PAGE))
        else:
            segs.append([p, bytearray(PAGE), pages[p]])
    for off, vaddr, filesz, _ms, _prot in loads:
        for seg in segs:
            if seg[0] <= vaddr < seg[0] + len(seg[1]):
                seg[1][vaddr - seg[0]:vaddr - seg[0] + filesz] = data[off:off + filesz]
                break
    return entry, [tuple(s) for s in segs]


def initial_stack(argv: list[bytes]) -> tuple[int, bytes]:
    """argc, argv[], NULL, no environment, AT_NULL, the strings: ending at
    STACK_TOP, rsp 16-aligned at argc."""
    strings = b"".join(a + b"\0" for a in argv)
    str_base = (STACK_TOP - len(strings)) & ~0xF
    ptrs, off = [], 0
    for a in argv:
        ptrs.append(str_base + off)
        off += len(a) + 1
    words = [len(argv), *ptrs, 0, 0, 0, 0]  # argv NULL, envp NULL, auxv AT_NULL pair
    vector = struct.pack(f"<{len(words)}Q", *words)
    rsp = (str_base - len(vector)) & ~0xF
    blob = bytearray(STACK_TOP - rsp)
    blob[:len(vector)] = vector
    blob[str_base - rsp:str_base - rsp + len(strings)] = strings
    return rsp, bytes(blob)


class BareRun:
    """One guest on one Unicorn instance. `run()` returns the seconds spent
    in uc_emu_start; afterwards `exit_code`, `stdout` and `syscalls`."""

    def __init__(self, path: str, argv: list[str], hook: str = "ctypes"):
        entry, segs = load(path)
        self.entry = entry
        self.uc = uc = Uc(UC_ARCH_X86, UC_MODE_64)
        for addr, image, prot in segs:
            uc.mem_map(addr, len(image), prot)
            uc.mem_write(addr, bytes(image))
        rsp, stack = initial_stack([a.encode() for a in argv])
        uc.mem_map(STACK_BASE, STACK_PAGES * PAGE, 3)
        uc.mem_write(rsp, stack)
        uc.reg_write(X.UC_X86_REG_RSP, rsp)
        self.exit_code: int | None = None
        self.stdout = bytearray()
        self.syscalls = 0
        self._trap = None
        if hook == "trap":
            self._install_trap()
        elif hook == "ctypes":
            self._install()
        else:
            raise ValueError(f"hook: ctypes or trap, not {hook!r}")

    def _install(self) -> None:
        uch = self.uc._uch
        ids = (ctypes.c_int * 4)(X.UC_X86_REG_RAX, X.UC_X86_REG_RDI, X.UC_X86_REG_RSI, X.UC_X86_REG_RDX)
        vals = (ctypes.c_uint64 * 4)()
        ptrs = (ctypes.c_void_p * 4)(*[ctypes.addressof(vals) + 8 * i for i in range(4)])
        mv = memoryview(vals).cast("B").cast("Q")
        rax = (ctypes.c_uint64 * 1)()
        out_ids = (ctypes.c_int * 1)(X.UC_X86_REG_RAX)
        out_ptrs = (ctypes.c_void_p * 1)(ctypes.addressof(rax))
        buf = ctypes.create_string_buffer(4096)
        read_batch, write_batch, emu_stop, mem_read = REG_READ_BATCH, REG_WRITE_BATCH, EMU_STOP, MEM_READ
        run = self
        count = [0]

        def on_syscall():
            read_batch(uch, ids, ptrs, 4)
            nr = mv[0]
            count[0] += 1
            if nr == SYS_NULL:
                rax[0] = SYS_NULL_MAGIC
            elif nr == SYS_WRITE:
                n = min(mv[3], 4096)
                if mem_read(uch, ctypes.c_uint64(mv[2]), buf, ctypes.c_size_t(n)) == 0:
                    run.stdout += buf.raw[:n]
                rax[0] = n
            elif nr == SYS_GETPID:
                rax[0] = 1
            elif nr in (SYS_PROC_EXIT, SYS_EXIT_GROUP):
                run.exit_code = mv[1] & 0xFF
                emu_stop(uch)
                return
            else:
                rax[0] = (-ENOSYS) & (2**64 - 1)
            write_batch(uch, out_ids, out_ptrs, 1)

        self._count = count
        self._cb = ctypes.CFUNCTYPE(None)(on_syscall)  # keep the thunk alive
        h = ctypes.c_size_t()
        err = HOOK_ADD(uch, ctypes.byref(h), ctypes.c_int(UC_HOOK_INSN), self._cb, None, ctypes.c_uint64(1),
                       ctypes.c_uint64(0), ctypes.c_int(X.UC_X86_INS_SYSCALL))
        if err:
            raise RuntimeError(f"uc_hook_add failed: {err}")

    def _install_trap(self) -> None:
        from emu._trap import Trap

        uch = self.uc._uch
        buf = ctypes.create_string_buffer(4096)
        mem_read = MEM_READ
        run = self
        count = [0]

        def handler(_task, nr, a1, a2, a3, a4, a5, a6):
            count[0] += 1
            if nr == SYS_NULL:
                return SYS_NULL_MAGIC
            if nr == SYS_WRITE:
                n = min(a3, 4096)
                if mem_read(uch, ctypes.c_uint64(a2), buf, ctypes.c_size_t(n)) == 0:
                    run.stdout += buf.raw[:n]
                return n
            if nr == SYS_GETPID:
                return 1
            if nr in (SYS_PROC_EXIT, SYS_EXIT_GROUP):
                run.exit_code = a1 & 0xFF
                return None  # not an int: the trap stops the run
            return (-ENOSYS) & (2**64 - 1)

        def unexpected(*args):
            raise RuntimeError(f"bare trap: unexpected call {args!r}")

        functions = tuple(ctypes.cast(getattr(_LIB, name), ctypes.c_void_p).value for name in (
            "uc_hook_add", "uc_hook_del", "uc_reg_read_batch", "uc_reg_write_batch", "uc_emu_start", "uc_emu_stop"))
        regs = (X.UC_X86_REG_RAX, X.UC_X86_REG_RDI, X.UC_X86_REG_RSI, X.UC_X86_REG_RDX, X.UC_X86_REG_R10,
                X.UC_X86_REG_R8, X.UC_X86_REG_R9, X.UC_X86_REG_RIP, X.UC_X86_REG_EFLAGS)
        self._count = count
        self._trap = Trap(self.uc, uch.value, functions, regs, (X.UC_X86_REG_RAX, X.UC_X86_REG_RCX,
                          X.UC_X86_REG_R11), X.UC_X86_INS_SYSCALL, handler, lambda r: None, unexpected, unexpected)
        self._trap.stop_at = 1 << 63

    def run(self) -> float:
        uch = self.uc._uch
        t = time.perf_counter()
        if self._trap is not None:
            self.uc.reg_write(X.UC_X86_REG_RIP, self.entry)
            err = self._trap.run(NEVER, 0)
        else:
            err = EMU_START(uch, ctypes.c_uint64(self.entry), ctypes.c_uint64(NEVER), ctypes.c_uint64(0),
                            ctypes.c_size_t(0))
        dt = time.perf_counter() - t
        self.syscalls = self._count[0]
        if err or self.exit_code is None:
            raise RuntimeError(f"bare unicorn: emulation ended with error {err}, exit code {self.exit_code}")
        return dt


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: bare.py ELF [ARGS...]", file=sys.stderr)
        return 2
    run = BareRun(argv[0], argv)
    run.run()
    sys.stdout.buffer.write(run.stdout)
    return run.exit_code


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
