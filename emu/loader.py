"""ELF loading with pyelftools: checks, segment images, relocation of
static-PIE images, and the SysV initial stack (upstream process/elf.rs).

Every problem with an input file is a `LoadError` carrying a one-line
reason; the CLI prints it and exits 2.
"""

from __future__ import annotations

import io
import os
import stat
import struct
from dataclasses import dataclass, field

from elftools.common.exceptions import ELFError
from elftools.elf.constants import P_FLAGS
from elftools.elf.elffile import ELFFile

PAGE = 4096
USER_ADDR_MAX = 0x0000_8000_0000_0000
# Where upstream places ET_DYN (static-PIE) images.
PIE_BASE = 0x0000_0001_0000_0000
# Upstream's user stack: 16 pages ending at USER_STACK_TOP.
USER_STACK_BASE = 0x0000_7FFF_F000_0000
USER_STACK_PAGES = 16
USER_STACK_TOP = USER_STACK_BASE + USER_STACK_PAGES * PAGE
# An image bigger than this cannot be held by the emulated system.
MAX_IMAGE_BYTES = 1 << 30
MAX_PHNUM = 512

AT_NULL, AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_ENTRY, AT_RANDOM = 0, 3, 4, 5, 6, 9, 25
# Upstream fills AT_RANDOM with 16 bytes of 0x42: deterministic by design.
AT_RANDOM_BYTES = b"\x42" * 16

R_X86_64_RELATIVE = 8
DT_NULL, DT_RELA, DT_RELASZ, DT_RELAENT, DT_RELR, DT_RELRSZ = 0, 7, 8, 9, 36, 35

PROT_R, PROT_W, PROT_X = 1, 2, 4


class LoadError(Exception):
    """An unusable executable: message is `path: reason`."""


@dataclass
class Segment:
    vaddr: int  # page aligned
    data: bytearray  # page-multiple image, file bytes then zeros
    prot: int

    @property
    def end(self) -> int:
        return self.vaddr + len(self.data)


@dataclass
class Image:
    path: str
    entry: int
    base: int  # load bias (0 for ET_EXEC)
    segments: list[Segment]
    phdr: int  # guest address of the program headers (AT_PHDR), 0 if not loaded
    phent: int
    phnum: int
    static_pie: bool = False
    exec_ranges: list[tuple[int, int]] = field(default_factory=list)


def _page_down(x: int) -> int:
    return x & ~(PAGE - 1)


def _page_up(x: int) -> int:
    return (x + PAGE - 1) & ~(PAGE - 1)


def load_elf(path: str, data: bytes | None = None) -> Image:
    """Parse and lay out an executable; LoadError for anything unusable."""
    if data is None:
        try:
            mode = os.stat(path).st_mode
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):  # a FIFO or a device: may block or never end
                raise LoadError(f"{path}: cannot read: not a regular file")
            with open(path, "rb") as f:
                data = f.read(MAX_IMAGE_BYTES + 1)
        except OSError as e:
            raise LoadError(f"{path}: cannot read: {e.strerror}") from None
    try:
        return _load(path, data)
    except LoadError:
        raise
    except (ELFError, struct.error, ValueError, KeyError, IndexError, AssertionError, OverflowError) as e:
        raise LoadError(f"{path}: malformed ELF: {e}") from None


def _fail(path: str, reason: str):
    raise LoadError(f"{path}: {reason}")


def _load(path: str, data: bytes) -> Image:
    if len(data) < 4 or data[:4] != b"\x7fELF":
        _fail(path, "not an ELF file (bad magic)")
    if len(data) < 64:
        _fail(path, "truncated ELF header")
    if data[4] != 2:
        _fail(path, "not a 64-bit ELF (ELFCLASS32 or invalid class)")
    if data[5] != 1:
        _fail(path, "not a little-endian ELF")
    elf = ELFFile(io.BytesIO(data))
    hdr = elf.header
    if hdr["e_machine"] != "EM_X86_64":
        _fail(path, f"not an x86_64 ELF (machine {hdr['e_machine']})")
    if hdr["e_type"] not in ("ET_EXEC", "ET_DYN"):
        _fail(path, f"not an executable (type {hdr['e_type']})")
    if hdr["e_version"] != "EV_CURRENT":
        _fail(path, "unsupported ELF version")
    phnum, phent, phoff = hdr["e_phnum"], hdr["e_phentsize"], hdr["e_phoff"]
    if phnum == 0:
        _fail(path, "no program headers")
    if phnum > MAX_PHNUM:
        _fail(path, f"absurd program header count {phnum}")
    if phent != 56:
        _fail(path, f"unexpected program header size {phent}")
    if phoff + phnum * phent > len(data):
        _fail(path, "program headers extend past end of file")

    phdrs = [elf.get_segment(i).header for i in range(phnum)]
    for ph in phdrs:
        if ph["p_type"] == "PT_INTERP":
            _fail(path, "dynamic executable (has PT_INTERP): only static executables can run here")
    loads = [ph for ph in phdrs if ph["p_type"] == "PT_LOAD" and ph["p_memsz"] > 0]
    if not loads:
        _fail(path, "no loadable (PT_LOAD) segment")
    static_pie = hdr["e_type"] == "ET_DYN"

    total = 0
    spans = []
    for ph in loads:
        vaddr, memsz, filesz, off = ph["p_vaddr"], ph["p_memsz"], ph["p_filesz"], ph["p_offset"]
        if filesz > memsz:
            _fail(path, f"segment at {vaddr:#x} has p_filesz {filesz:#x} > p_memsz {memsz:#x}")
        if off + filesz > len(data):
            _fail(path, f"segment at {vaddr:#x} extends past end of file (truncated?)")
        if vaddr + memsz > USER_ADDR_MAX or vaddr + memsz < vaddr:
            _fail(path, f"segment at {vaddr:#x} (+{memsz:#x}) is outside user space")
        if ph["p_align"] > 1 and (vaddr - off) % min(ph["p_align"], PAGE):
            _fail(path, f"segment at {vaddr:#x} is misaligned with its file offset")
        total += memsz
        if total > MAX_IMAGE_BYTES:
            _fail(path, f"image too large ({total:#x} bytes of segments, limit {MAX_IMAGE_BYTES:#x})")
        spans.append((vaddr, vaddr + memsz))
    spans.sort()
    for (a0, a1), (b0, b1) in zip(spans, spans[1:]):
        if b0 < a1:
            _fail(path, f"overlapping segments at {a0:#x} and {b0:#x}")

    lo = _page_down(spans[0][0])
    base = PIE_BASE - lo if static_pie else 0
    if static_pie and _page_up(spans[-1][1]) + base > USER_ADDR_MAX:
        _fail(path, "static-PIE image does not fit in user space")
    if not static_pie and lo < 0x10000:
        _fail(path, f"segment at {lo:#x} maps the first 64 KiB of the address space")
    for a0, a1 in spans:  # the stack is mapped after the image, at a fixed place
        if _page_down(a0) + base < USER_STACK_TOP and _page_up(a1) + base > USER_STACK_BASE:
            _fail(path, f"segment at {a0:#x} overlaps the user stack ({USER_STACK_BASE:#x}-{USER_STACK_TOP:#x})")

    # One image per page run; pages shared by two segments get both permissions.
    pages: dict[int, int] = {}
    for ph in loads:
        prot = _prot(ph["p_flags"])
        v0 = ph["p_vaddr"] + base
        for p in range(_page_down(v0), _page_up(v0 + ph["p_memsz"]), PAGE):
            pages[p] = pages.get(p, 0) | prot
    segments: list[Segment] = []
    for p in sorted(pages):
        if segments and segments[-1].end == p and segments[-1].prot == pages[p]:
            segments[-1].data.extend(bytes(PAGE))
        else:
            segments.append(Segment(p, bytearray(PAGE), pages[p]))
    for ph in loads:
        if ph["p_filesz"]:
            _store(segments, ph["p_vaddr"] + base, data[ph["p_offset"]:ph["p_offset"] + ph["p_filesz"]])

    exec_ranges = [(s.vaddr, s.end) for s in segments if s.prot & PROT_X]
    entry = hdr["e_entry"] + base
    if not any(a <= entry < b for a, b in exec_ranges):
        _fail(path, f"entry point {entry:#x} is not inside an executable segment")

    if static_pie:
        _relocate(path, elf, phdrs, segments, base)

    # AT_PHDR: PT_PHDR if present, else the headers' place in the first segment.
    phdr_addr = 0
    for ph in phdrs:
        if ph["p_type"] == "PT_PHDR":
            phdr_addr = ph["p_vaddr"] + base
    if not phdr_addr:
        for ph in loads:
            if ph["p_offset"] <= phoff < ph["p_offset"] + ph["p_filesz"]:
                phdr_addr = ph["p_vaddr"] + (phoff - ph["p_offset"]) + base
    return Image(path, entry, base, segments, phdr_addr, phent, phnum, static_pie, exec_ranges)


def _prot(flags: int) -> int:
    return ((PROT_R if flags & P_FLAGS.PF_R else 0) | (PROT_W if flags & P_FLAGS.PF_W else 0)
            | (PROT_X if flags & P_FLAGS.PF_X else 0))


def _seg_at(segments: list[Segment], addr: int, size: int) -> Segment | None:
    for s in segments:
        if s.vaddr <= addr and addr + size <= s.end:
            return s
    return None


def _store(segments: list[Segment], addr: int, blob: bytes) -> None:
    while blob:
        s = _seg_at(segments, addr, 1)
        n = min(len(blob), s.end - addr)
        s.data[addr - s.vaddr:addr - s.vaddr + n] = blob[:n]
        addr, blob = addr + n, blob[n:]


def _fetch(path: str, segments: list[Segment], addr: int, size: int) -> bytes:
    s = _seg_at(segments, addr, size)
    if s is None:
        _fail(path, f"dynamic data at {addr:#x} is outside the loaded segments")
    return bytes(s.data[addr - s.vaddr:addr - s.vaddr + size])


def _relocate(path: str, elf: ELFFile, phdrs, segments: list[Segment], base: int) -> None:
    """Apply the RELATIVE relocations of a static-PIE image, as upstream's
    loader does for ET_DYN images."""
    dyn = next((ph for ph in phdrs if ph["p_type"] == "PT_DYNAMIC"), None)
    if dyn is None or dyn["p_filesz"] == 0:
        return
    raw = _fetch(path, segments, dyn["p_vaddr"] + base, dyn["p_filesz"] - dyn["p_filesz"] % 16)
    tags: dict[int, int] = {}
    for i in range(0, len(raw), 16):
        tag, val = struct.unpack_from("<qQ", raw, i)
        if tag == DT_NULL:
            break
        tags.setdefault(tag, val)

    def put64(where: int, value: int) -> None:
        if _seg_at(segments, where, 8) is None:
            _fail(path, f"relocation target {where:#x} is outside the loaded segments")
        _store(segments, where, struct.pack("<Q", value & ((1 << 64) - 1)))

    if DT_RELA in tags:
        ent = tags.get(DT_RELAENT, 24)
        if ent != 24:
            _fail(path, f"unexpected DT_RELAENT {ent}")
        table = _fetch(path, segments, tags[DT_RELA] + base, tags.get(DT_RELASZ, 0))
        for i in range(0, len(table) - len(table) % 24, 24):
            off, info, addend = struct.unpack_from("<QQq", table, i)
            if info & 0xFFFFFFFF != R_X86_64_RELATIVE or info >> 32:
                _fail(path, f"unsupported relocation type {info & 0xFFFFFFFF} in a static-PIE image")
            put64(off + base, base + addend)
    if DT_RELR in tags:
        table = _fetch(path, segments, tags[DT_RELR] + base, tags.get(DT_RELRSZ, 0))
        where = 0
        for i in range(0, len(table) - len(table) % 8, 8):
            (entry,) = struct.unpack_from("<Q", table, i)
            if entry & 1 == 0:
                where = entry + base
                put64(where, struct.unpack("<Q", _fetch(path, segments, where, 8))[0] + base)
                where += 8
            else:
                bits, at = entry >> 1, where
                while bits:
                    if bits & 1:
                        put64(at, struct.unpack("<Q", _fetch(path, segments, at, 8))[0] + base)
                    bits >>= 1
                    at += 8
                where += 63 * 8


def build_stack(image: Image, argv: list[bytes], envp: list[bytes]) -> tuple[int, bytes]:
    """The initial stack contents (argc, argv, envp, auxv, strings) ending at
    USER_STACK_TOP; returns (rsp, bytes from rsp to the top)."""
    strings = bytearray()
    offsets = []
    for s in argv + envp:
        offsets.append(len(strings))
        strings += s + b"\0"
    random_off = len(strings)
    strings += AT_RANDOM_BYTES
    str_base = (USER_STACK_TOP - len(strings)) & ~0xF
    auxv = [(AT_PHDR, image.phdr), (AT_PHENT, image.phent), (AT_PHNUM, image.phnum), (AT_PAGESZ, PAGE),
            (AT_ENTRY, image.entry), (AT_RANDOM, str_base + random_off), (AT_NULL, 0)]
    words = [len(argv)]
    words += [str_base + offsets[i] for i in range(len(argv))] + [0]
    words += [str_base + offsets[len(argv) + i] for i in range(len(envp))] + [0]
    for tag, val in auxv:
        words += [tag, val]
    vector = struct.pack(f"<{len(words)}Q", *words)
    rsp = (str_base - len(vector)) & ~0xF  # SysV: rsp 16-aligned at entry, pointing at argc
    if USER_STACK_TOP - rsp > USER_STACK_PAGES * PAGE // 2:
        raise LoadError(f"{image.path}: arguments and environment too large for the initial stack")
    blob = bytearray(USER_STACK_TOP - rsp)
    blob[0:len(vector)] = vector
    blob[str_base - rsp:str_base - rsp + len(strings)] = strings
    return rsp, bytes(blob)
