"""Resource limits (kernel_model/limits.py, docs/limits.md): a flood of
forks, threads, handles, objects, rings or memory ends with ENOMEM, the run
ends cleanly, and the limits can be changed from the command line."""

import pytest

from emu.loader import LoadError
from kernel_model.limits import Limits
from tests.conftest import guest, run_cli

DEFAULT = Limits()


@pytest.mark.parametrize("what,count", [
    ("forks", DEFAULT.processes - 1),
    ("threads", DEFAULT.threads_per_process - 1),
    ("handles", DEFAULT.handles_per_process - 1),
    ("rings", DEFAULT.ring_memory >> 20),
    ("memory", (DEFAULT.process_memory >> 26) - 1),  # 64 MiB maps next to the image and stack
])
def test_flood_ends_with_enomem(run_guests, what, count):
    r = run_guests([("limit_floods", what)])
    assert r.status == 0, r.stdout.decode()
    assert r.stdout == f"{what}: {count} before ENOMEM\n".encode()


def test_limits_from_the_command_line():
    p = run_cli("run", "--limit", "objects=100", "--args", "1", "objects", guest("limit_floods"))
    assert p.returncode == 0 and p.stdout == b"objects: 100 before ENOMEM\n"
    p = run_cli("run", "--limit", "processes=8", "--args", "1", "forks", guest("limit_floods"))
    assert p.returncode == 0 and p.stdout == b"forks: 7 before ENOMEM\n"
    p = run_cli("run", "--limit", "system_memory=64K", guest("hello"))
    assert p.returncode == 2 and b"does not fit the memory limits" in p.stderr
    for bad in ("bogus=1", "processes=0", "processes", "processes=x"):
        p = run_cli("run", "--limit", bad, guest("hello"))
        assert p.returncode == 2 and b"Traceback" not in p.stderr, bad


def test_too_many_processes_at_start_is_a_usage_error(run_guests):
    with pytest.raises(LoadError, match="at most 2 processes"):
        run_guests(["hello", "hello", "hello"], limits=Limits(processes=2))


def test_exited_processes_give_their_slots_and_memory_back(run_guests):
    # Room for about three processes at once, 50 forks one after the other.
    r = run_guests([("limit_floods", "seqforks")], limits=Limits(processes=3, system_memory=512 << 10))
    assert r.status == 0 and r.stdout == b"seqforks: 50\n"


def test_a_fork_over_the_memory_limit_fails_and_leaves_nothing_counted():
    from emu import System

    # Room for one process, not two: the fork fails with ENOMEM, and once the
    # parent has exited nothing is left counted against the system.
    system = System(limits=Limits(system_memory=256 << 10))
    system.spawn(guest("limit_floods"), argv=["limit_floods", "forks"])
    r = system.run()
    assert r.status == 0 and r.stdout == b"forks: 0 before ENOMEM\n"
    assert system.memory.used == 0
