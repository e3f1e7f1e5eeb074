"""Evidence for docs/performance.md: guest stores and Unicorn's TLB.

    python bench/probe_tlb.py [--reps N]

In Unicorn 2.1.4 (x86), every guest store takes the out-of-line softmmu
path (helper_le_stq_mmu -> notdirty_write -> a memory-region lookup)
unless the page's TLB entry can be marked dirty, which notdirty_write only
does when (a) the TLB entry has no code address (the default CPU TLB maps
every page executable, so never) and (b) no memory hook covers the
address (`uc_mem_hook_installed`: UNMAPPED, PROT, READ, WRITE hooks, so
strat9-emu's UC_HOOK_MEM_INVALID, which covers everything, also prevents
it).

This probe runs a few workloads on strat9-emu as it is, and with two
changes applied by monkeypatching emu.cpu.CPU in this process only:
  virtual TLB      uc_ctl_set_tlb_mode(UC_TLB_VIRTUAL) plus a
                   UC_HOOK_TLB_FILL hook giving each page its region's
                   real protection (identity, all rights for unmapped
                   addresses, so that Unicorn still reports those);
  no MEM_INVALID   the UC_HOOK_MEM_INVALID hook not installed (fault
                   reports lose the faulting address: an experiment only).
Not part of `make bench`; it does not modify emu/.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from unicorn import UC_HOOK_MEM_INVALID, UC_HOOK_TLB_FILL, UC_TLB_VIRTUAL  # noqa: E402

import emu.cpu as cpu_mod  # noqa: E402
from emu import System  # noqa: E402

GUESTS = ROOT / "build" / "guests" / "gcc-O2"
WORKLOADS = {
    "fib 27 x 20": [("bench_fib", ["27", "20"])],
    "crc32 x 4": [("bench_crc32", ["4"])],
    "syscall 200k": [("syscall_loop", ["200000"])],
    "ipc-2 20k calls": [("bench_ipc_server", []), ("bench_ipc_client", ["20000"])],
    "chan 50k msgs": [("bench_chan_stream", ["50000"])],
    "ring 200k recs": [("bench_ring_stream", ["200000"])],
}
MODES = ("as is", "virtual TLB", "virtual TLB + no MEM_INVALID", "no MEM_INVALID")

_init = cpu_mod.CPU.__init__
_add = cpu_mod.CPU._add


def _virtual_tlb_init(self, *args, **kwargs):
    _init(self, *args, **kwargs)
    mem = self.mem

    def fill(uc, vaddr, access, entry, user_data):
        r = mem.region_at(vaddr)
        entry.paddr = vaddr
        entry.perms = 7 if r is None else r.prot
        return True

    self.uc.ctl_set_tlb_mode(UC_TLB_VIRTUAL)
    self._probe_tlb_hook = self.uc.hook_add(UC_HOOK_TLB_FILL, fill)


def _add_without_invalid(self, htype, cb, *extra, **kwargs):
    if htype == UC_HOOK_MEM_INVALID:
        return None
    return _add(self, htype, cb, *extra, **kwargs)


def set_mode(mode: str) -> None:
    cpu_mod.CPU.__init__ = _virtual_tlb_init if "virtual" in mode else _init
    cpu_mod.CPU._add = _add_without_invalid if "no MEM_INVALID" in mode else _add


def run(procs) -> float:
    system = System()
    for name, args in procs:
        system.spawn(str(GUESTS / f"{name}.elf"), argv=[name, *args])
    gc.collect()
    t = time.perf_counter()
    result = system.run()
    dt = time.perf_counter() - t
    assert result.status == 0, (result.status, result.report)
    return dt


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3)
    ns = ap.parse_args()
    res: dict[tuple[str, str], list[float]] = {}
    for _ in range(ns.reps):
        for mode in MODES:
            set_mode(mode)
            for key, procs in WORKLOADS.items():
                res.setdefault((key, mode), []).append(run(procs))
    set_mode("as is")
    print(f"strat9-emu System.run(), median of {ns.reps}; speed-up against 'as is'")
    for key in WORKLOADS:
        base = statistics.median(res[(key, "as is")])
        cells = [f"{m}: {statistics.median(res[(key, m)]) * 1000:.0f} ms "
                 f"({base / statistics.median(res[(key, m)]):.2f}x)" for m in MODES]
        print(f"  {key:16} " + " | ".join(cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
