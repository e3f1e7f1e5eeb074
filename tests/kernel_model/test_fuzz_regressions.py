"""Regression tests for kernel-model bugs found by the syscall fuzzer
(test_fuzz_dispatch.py), each reduced to the calls that show it."""

import pytest

from kernel_model import Errno
from kernel_model.limits import Limits

@pytest.mark.parametrize("create,arg", [("SYS_CHAN_CREATE", 4), ("SYS_SEM_CREATE", 0), ("SYS_IPC_RING_CREATE", 4096),
                                        ("SYS_IPC_CREATE_PORT", 0)])
def test_create_with_a_full_table_leaves_no_object(sim, create, arg):
    """A create call whose handle did not fit the table (ENOMEM) left its new
    object registered with no handle: never destroyed, it kept counting
    against the system's object limit (and a ring against ring memory)."""
    sim.k.limits = Limits(handles_per_process=2, objects=8)
    t = sim.proc().main_task
    assert sim.sys(t, "SYS_SEM_CREATE", 0) > 0 and sim.sys(t, "SYS_SEM_CREATE", 0) > 0  # table full
    for _ in range(20):  # more than the object limit
        assert sim.sys(t, create, arg) == -int(Errno.ENOMEM)
    assert len(sim.k.semaphores) == 2 and not sim.k.channels and not sim.k.rings and not sim.k.ports
    assert sim.k.ring_memory_used == 0
    other = sim.proc().main_task
    assert sim.sys(other, create, arg) > 0  # the system is not out of objects


def test_connect_with_a_full_table_keeps_the_port(sim):
    sim.k.limits = Limits(handles_per_process=1)
    server, client = sim.proc().main_task, sim.proc().main_task
    port = sim.sys(server, "SYS_IPC_CREATE_PORT", 0)
    assert sim.bind(server, port, "/srv/full") == 0
    assert sim.sys(client, "SYS_SEM_CREATE", 0) > 0  # the client's table is full
    assert sim.connect(client, "/srv/full") == -int(Errno.ENOMEM)
    assert len(sim.k.ports) == 1 and not sim.handle(server, port).obj.destroyed
