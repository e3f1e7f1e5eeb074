"""The compiler matrix: the same guest sources built by gcc and clang at
-O0 and -O2 give the same syscall trace, after the normalisation of
docs/trace-format.md (pointer values, handle numbering per process, and the
interleaving of tasks, compared task by task)."""

import pytest

from emu import System, Tracer
from emu.golden import compare
from tests.conftest import ROOT

CELLS = ("gcc-O2", "gcc-O0", "clang-O0", "clang-O2")
# Guest sets run as one system each (pids in order; a tuple is a guest and
# its arguments); the second element lists the processes started unprivileged.
SETS = [
    (["syscalls_basic"], ()),
    (["conf_handles", "conf_handles_peer"], ()),
    (["conf_ports", "conf_ports_peer"], ()),
    (["conf_callreply", "conf_callreply_peer"], ()),
    (["conf_namespace"], ()),
    (["conf_channels", "conf_channels_peer"], ()),
    (["conf_semaphores", "conf_semaphores_peer", "conf_semaphores_peer"], ()),
    (["conf_rings", "conf_rings_peer"], ()),
    (["conf_transfer", "conf_transfer_peer"], ()),
    (["conf_lifetime", "conf_lifetime_peer"], ()),
    (["conf_unpriv_peer", "conf_unpriv"], (2,)),
    (["scn_echo_server", "scn_echo_client", "scn_echo_client", "scn_echo_client"], ()),
    (["scn_pipe_producer", "scn_pipe_consumer"], ()),
    (["scn_share_owner", "scn_share_user"], ()),
    (["demo_ipc_server", "demo_ipc_client", "demo_ipc_sharer"], ()),
    (["proc_forkecho_srv", ("proc_forkecho_cli", "1", "4"), ("proc_forkecho_cli", "2", "4")], ()),
    (["proc_twocalls", ("proc_callsrv", "/srv/two-a", "3", "A"), ("proc_callsrv", "/srv/two-b", "1", "B")], ()),
    (["proc_forksem"], ()),
    (["proc_forkport"], ()),
    (["proc_forkthread"], ()),
    (["proc_forkmem"], ()),
    ([("proc_sleepers", "threads"), ("proc_sleepers", "one", "25"), ("proc_sleepers", "one", "5")], ()),
    ([("proc_threads", "threadexit")], ()),
    (["proc_waitpid"], ()),
    (["proc_unpriv_log", "proc_unpriv"], (2,)),
]


def _run(cell: str, specs: list, unprivileged) -> object:
    system = System(tracer=Tracer(), timeout=120)
    for i, spec in enumerate(specs, 1):
        name, *args = (spec,) if isinstance(spec, str) else spec
        path = ROOT / "build" / "guests" / cell / f"{name}.elf"
        if not path.exists():
            pytest.fail(f"{path} is missing: build the matrix first (make guests-matrix)")
        system.spawn(str(path), argv=[name, *args], admin=i not in unprivileged)
    return system.run()


def _id(specs) -> str:
    first = specs[0]
    return first if isinstance(first, str) else "-".join(first)


@pytest.mark.parametrize("names,unprivileged", SETS, ids=[_id(s[0]) for s in SETS])
def test_every_build_gives_the_same_trace(names, unprivileged):
    reference = _run(CELLS[0], names, unprivileged)
    assert reference.trace[-1]["event"] == "run_end"
    for cell in CELLS[1:]:
        result = _run(cell, names, unprivileged)
        assert result.status == reference.status, cell
        divergence = compare(reference.trace, result.trace, per_task=True)
        assert divergence is None, f"{CELLS[0]} vs {cell}:\n{divergence.report()}"
