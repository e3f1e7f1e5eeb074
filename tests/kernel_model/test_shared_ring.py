"""Shared rings (ABI.md section 7, rows 210-211)."""

import mmap

import pytest

from km_helpers import INFO, RO, UNMAPPED, E
from kernel_model import Errno, SyscallError
from kernel_model import shared_ring
from kernel_model.capabilities import Perm
from kernel_model.memory import PROT_READ, PROT_WRITE

BASE = 0x6000_0000


@pytest.mark.parametrize("size, mapped", [(1, 4096), (4096, 4096), (4097, 8192), (3 * 4096 + 5, 4 * 4096)])
def test_create_rounds_up_to_pages_and_map_returns_the_mapped_size(sim, size, mapped):
    t = sim.proc().main_task
    r = sim.sys(t, "SYS_IPC_RING_CREATE", size)
    assert sim.info(t, r) == (6, Perm.READ | Perm.WRITE | Perm.GRANT | Perm.REVOKE, sim.handle(t, r).obj.id)
    assert sim.sys(t, "SYS_IPC_RING_MAP", r, INFO) == mapped
    base = sim.get_u64(t, INFO)
    assert base >= BASE and base % 4096 == 0
    ring = sim.handle(t, r).obj
    assert len(ring.buffer) == mapped and ring.buffer[:] == bytes(mapped)  # zeroed
    assert t.process.memory.shared == [(base, ring.buffer)]
    pages = range(base, base + mapped, 4096)
    assert all(t.process.memory.prot[p] == PROT_READ | PROT_WRITE for p in pages)  # not executable


def test_size_zero_is_einval(sim):
    t = sim.proc().main_task
    assert sim.sys(t, "SYS_IPC_RING_CREATE", 0) == E(Errno.EINVAL)


def test_a_ring_too_big_is_enomem_at_once_without_allocating(sim, monkeypatch):
    t = sim.proc().main_task

    def no_alloc(*a, **kw):
        raise AssertionError("allocated")

    monkeypatch.setattr(shared_ring.mmap, "mmap", no_alloc)
    for size in (1 << 40, (1 << 64) - 1, shared_ring.RING_MEMORY_LIMIT + 1):
        assert sim.sys(t, "SYS_IPC_RING_CREATE", size) == E(Errno.ENOMEM)
    assert t.process.handles == {} and sim.k.ring_memory_used == 0


def test_the_limit_counts_live_rings_only(sim):
    t = sim.proc().main_task
    sim.k.ring_memory_limit = 3 * 4096
    r1 = sim.sys(t, "SYS_IPC_RING_CREATE", 2 * 4096)
    assert sim.sys(t, "SYS_IPC_RING_CREATE", 2 * 4096) == E(Errno.ENOMEM)
    r2 = sim.sys(t, "SYS_IPC_RING_CREATE", 4096)
    assert r2 > r1 and sim.k.ring_memory_used == 3 * 4096
    assert sim.sys(t, "SYS_HANDLE_CLOSE", r1) == 0
    assert sim.k.ring_memory_used == 4096
    assert sim.sys(t, "SYS_IPC_RING_CREATE", 2 * 4096) > r2


def test_every_mapping_in_any_process_is_the_same_memory(sim):
    a, b = sim.proc().main_task, sim.proc().main_task
    r = sim.sys(a, "SYS_IPC_RING_CREATE", 8192)
    g = sim.sys(a, "SYS_HANDLE_GRANT", r, b.process.pid)
    assert sim.sys(a, "SYS_IPC_RING_MAP", r, INFO) == 8192
    assert sim.sys(b, "SYS_IPC_RING_MAP", g, INFO) == 8192
    assert sim.sys(a, "SYS_IPC_RING_MAP", r, INFO + 8) == 8192  # mapped twice in a: a second range
    (ba, bufa), (ba2, bufa2) = a.process.memory.shared
    ((bb, bufb),) = b.process.memory.shared
    assert bufa is bufb is bufa2 and isinstance(bufa, mmap.mmap)
    assert ba2 != ba and sim.get_u64(a, INFO + 8) == ba2
    bufa[100:105] = b"hello"
    assert bufb[100:105] == b"hello"


def test_map_errors_in_upstream_order(sim):
    t = sim.proc().main_task
    r = sim.sys(t, "SYS_IPC_RING_CREATE", 10)
    s = sim.sys(t, "SYS_SEM_CREATE", 0)
    assert sim.sys(t, "SYS_IPC_RING_MAP", 999, 0) == E(Errno.EFAULT)  # out == 0 first (admin)
    assert sim.sys(t, "SYS_IPC_RING_MAP", 999, INFO) == E(Errno.EPERM)
    assert sim.sys(t, "SYS_IPC_RING_MAP", s, INFO) == E(Errno.EBADF)
    sim.restrict(t, r, Perm.READ | Perm.GRANT)
    assert sim.sys(t, "SYS_IPC_RING_MAP", r, INFO) == E(Errno.EPERM)
    assert t.process.memory.shared == []


def test_map_efault_on_out_leaves_the_mapping(sim):
    t = sim.proc().main_task
    r = sim.sys(t, "SYS_IPC_RING_CREATE", 10)
    assert sim.sys(t, "SYS_IPC_RING_MAP", r, RO) == E(Errno.EFAULT)
    assert sim.sys(t, "SYS_IPC_RING_MAP", r, UNMAPPED) == E(Errno.EFAULT)
    assert len(t.process.memory.shared) == 2


def test_map_enomem_when_no_range_fits(sim):
    t = sim.proc().main_task
    r = sim.sys(t, "SYS_IPC_RING_CREATE", 10)

    def full(buffer, hint, prot):
        raise SyscallError(Errno.ENOMEM)

    t.process.memory.map_shared = full
    assert sim.sys(t, "SYS_IPC_RING_MAP", r, INFO) == E(Errno.ENOMEM)


def test_unprivileged(sim):
    t = sim.proc(admin=False).main_task
    assert sim.sys(t, "SYS_IPC_RING_MAP", 999, 0) == E(Errno.EBADF)
    r = sim.sys(t, "SYS_IPC_RING_CREATE", 10)
    assert sim.sys(t, "SYS_IPC_RING_MAP", r, INFO) == 4096


def test_ring_lives_while_a_handle_exists_and_mappings_survive_it(sim):
    a, b = sim.proc().main_task, sim.proc().main_task
    r = sim.sys(a, "SYS_IPC_RING_CREATE", 10)
    ring = sim.handle(a, r).obj
    g = sim.sys(a, "SYS_HANDLE_GRANT", r, b.process.pid)
    sim.sys(a, "SYS_IPC_RING_MAP", r, INFO)
    assert sim.sys(a, "SYS_HANDLE_REVOKE", r) == 0
    assert not ring.destroyed and sim.k.rings == {ring.id: ring}
    sim.k.exit_process(b.process, 0)
    assert ring.destroyed and sim.k.rings == {} and sim.k.ring_memory_used == 0
    assert a.process.memory.shared[0][1] is ring.buffer and not ring.buffer.closed
    assert g  # granted handle id was valid in b
