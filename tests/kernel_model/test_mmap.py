"""SYS_MMAP / SYS_MUNMAP checks and placement (mmap.py) on FakeMemory."""

from km_helpers import E

from kernel_model import Errno
from kernel_model.mmap import MMAP_BASE

RW = 3
ANON_PRIV = 0x22
ANON_SHARED = 0x21


def test_mmap_argument_checks(sim):
    t = sim.proc().main_task
    assert sim.sys(t, "SYS_MMAP", 0, 0, RW, ANON_PRIV, -1, 0) == E(Errno.EINVAL)  # len 0
    assert sim.sys(t, "SYS_MMAP", 0, 4096, RW, ANON_PRIV | 0x40, -1, 0) == E(Errno.EINVAL)  # unknown flag
    assert sim.sys(t, "SYS_MMAP", 0, 4096, RW, 0x20, -1, 0) == E(Errno.EINVAL)  # neither private nor shared
    assert sim.sys(t, "SYS_MMAP", 0, 4096, RW, 0x23, -1, 0) == E(Errno.EINVAL)  # both
    assert sim.sys(t, "SYS_MMAP", 0, 4096, RW, ANON_PRIV, -1, 4096) == E(Errno.EINVAL)  # offset
    assert sim.sys(t, "SYS_MMAP", 0, 4096, 8, ANON_PRIV, -1, 0) == E(Errno.EINVAL)  # prot
    assert sim.sys(t, "SYS_MMAP", 0, 4096, RW, 0x02, 3, 0) == E(Errno.ENOSYS)  # a file mapping
    assert sim.sys(t, "SYS_MMAP", 0, 4096, RW, ANON_PRIV | 0x10, -1, 0) == E(Errno.EINVAL)  # fixed at 0
    assert sim.sys(t, "SYS_MMAP", 0x7000_0100, 4096, RW, ANON_PRIV | 0x10, -1, 0) == E(Errno.EINVAL)


def test_placement_from_mmap_base_and_zero_fill(sim):
    p = sim.proc()
    t = p.main_task
    a = sim.sys(t, "SYS_MMAP", 0, 5000, RW, ANON_PRIV, -1, 0)
    b = sim.sys(t, "SYS_MMAP", 0, 4096, RW, ANON_SHARED, -1, 0)
    assert a == MMAP_BASE and b == MMAP_BASE + 8192  # page-rounded, after the previous one
    assert p.memory.read(a, 5000) == bytes(5000)
    fixed = sim.sys(t, "SYS_MMAP", 0x7000_0000, 4096, 1, ANON_PRIV | 0x10, -1, 0)
    assert fixed == 0x7000_0000
    assert sim.sys(t, "SYS_MMAP", 0x7000_0000, 4096, 1, ANON_PRIV | 0x10 | (1 << 20), -1, 0) == E(Errno.EEXIST)


def test_munmap(sim):
    p = sim.proc()
    t = p.main_task
    a = sim.sys(t, "SYS_MMAP", 0, 8192, RW, ANON_PRIV, -1, 0)
    assert sim.sys(t, "SYS_MUNMAP", 0, 4096) == E(Errno.EINVAL)
    assert sim.sys(t, "SYS_MUNMAP", a + 1, 4096) == E(Errno.EINVAL)
    assert sim.sys(t, "SYS_MUNMAP", a, 0) == E(Errno.EINVAL)
    assert sim.sys(t, "SYS_MUNMAP", a, 4096) == 0
    assert p.memory.is_free(a, 4096) and not p.memory.is_free(a + 4096, 4096)
    assert sim.sys(t, "SYS_MUNMAP", a, 8192) == 0  # a hole is fine
