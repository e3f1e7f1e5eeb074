"""The port namespace: bind, unbind, connect (ABI.md section 5, rows 205,
206 and 208)."""

import pytest

from km_helpers import OUT, PATH, UNMAPPED, E, is_block
from kernel_model import Errno
from kernel_model.capabilities import Perm


@pytest.fixture
def srv(sim):
    t = sim.proc(name="srv").main_task
    return t, sim.sys(t, "SYS_IPC_CREATE_PORT", 0)


def test_bind_then_connect_gives_a_read_write_handle_to_the_port(sim, srv):
    t, p = srv
    assert sim.bind(t, p, "/srv/echo") == 0
    cli = sim.proc().main_task
    h = sim.connect(cli, "/srv/echo")
    assert h > p
    assert sim.info(cli, h) == (4, 3, sim.handle(t, p).obj.id)
    assert sim.send(cli, h, msg_type=0x42) == 0
    assert sim.sys(t, "SYS_IPC_RECV", p, OUT) == 0
    assert sim.get_msg(t, OUT).msg_type == 0x42
    assert sim.sys(cli, "SYS_HANDLE_DUPLICATE", h) == E(Errno.EPERM)  # no grant


def test_bind_path_checks_in_upstream_order(sim, srv):
    t, p = srv
    c = sim.sys(t, "SYS_CHAN_CREATE", 1)
    sim.put(t, PATH, b"/srv/x")
    call = lambda h, ptr, n: sim.sys(t, "SYS_IPC_BIND_PORT", h, ptr, n)  # noqa: E731
    assert call(999, 0, 5) == E(Errno.EFAULT)
    assert call(999, PATH, 0) == E(Errno.EFAULT)
    assert call(999, PATH, 4097) == E(Errno.EINVAL)
    assert call(999, UNMAPPED, 6) == E(Errno.EFAULT)
    sim.put(t, PATH + 0x100, b"/srv/\xff")
    assert call(999, PATH + 0x100, 6) == E(Errno.EINVAL)  # not UTF-8
    assert call(999, PATH, 6) == E(Errno.EPERM)  # unknown handle (admin)
    assert call(c, PATH, 6) == E(Errno.EBADF)  # a channel has read|write|grant
    sim.restrict(t, p, Perm.READ | Perm.WRITE)
    assert call(p, PATH, 6) == E(Errno.EPERM)
    sim.restrict(t, p, 31)
    sim.put(t, PATH + 0x200, b"srv/x")
    assert call(p, PATH + 0x200, 5) == E(Errno.EINVAL)  # must start with '/'


def test_bind_len_4096_is_accepted(sim, srv):
    t, p = srv
    path = "/" + "a" * 4095
    assert sim.bind(t, p, path) == 0
    assert sim.connect(sim.proc().main_task, path) > 0


def test_bind_existing_paths_is_eexist(sim, srv):
    t, p = srv
    for boot in ("/", "/dev", "/proc", "/sys", "/ipc", "/initfs", "/dev/console", "/dev/pts", "/dev/"):
        assert sim.bind(t, p, boot) == E(Errno.EEXIST), boot
    assert sim.bind(t, p, "/srv/a/") == 0
    assert sim.bind(t, p, "/srv/a") == E(Errno.EEXIST)  # the mount table holds "/srv/a"
    assert sim.bind(t, p, "/srv/a/") == E(Errno.EEXIST)
    assert sim.bind(t, p, "/dev/mine") == 0  # below a boot mount is fine


def test_unprivileged_bind_and_unbind_are_eperm(sim):
    t = sim.proc(admin=False).main_task
    p = sim.sys(t, "SYS_IPC_CREATE_PORT", 0)
    assert sim.bind(t, p, "/srv/u") == E(Errno.EPERM)
    assert sim.sys(t, "SYS_IPC_BIND_PORT", 999, 0, 0) == E(Errno.EPERM)  # before every other check
    assert sim.unbind(t, "/srv/u") == E(Errno.EPERM)
    assert sim.sys(t, "SYS_IPC_UNBIND_PORT", 0, 0) == E(Errno.EPERM)
    # connect needs no privilege
    admin = sim.proc().main_task
    q = sim.sys(admin, "SYS_IPC_CREATE_PORT", 0)
    assert sim.bind(admin, q, "/srv/pub") == 0
    assert sim.connect(t, "/srv/pub") > 0


def test_bind_does_not_check_that_the_port_is_alive(sim):
    own, other = sim.proc().main_task, sim.proc().main_task
    p = sim.sys(own, "SYS_IPC_CREATE_PORT", 0)
    g = sim.sys(own, "SYS_HANDLE_GRANT", p, other.process.pid)
    sim.k.exit_process(own.process, 0)
    assert sim.bind(other, g, "/srv/dead") == 0
    assert sim.connect(other, "/srv/dead") == E(Errno.EBADF)


# -- bootstrap message ----------------------------------------------------------------------------

@pytest.mark.parametrize("path, label", [("/srv/strate-fs-ext4", b"strate-fs-ext4"),
                                         ("/srv/strate-fs-ram/", b"strate-fs-ram"),
                                         ("/srv/strate-fs-x/data", b"data"),
                                         ("/srv/strate-fs-" + "L" * 60, b"strate-fs-" + b"L" * 37)])
def test_binding_a_strate_fs_path_queues_a_bootstrap_message(sim, srv, path, label):
    t, p = srv
    binder = sim.thread(t.process)
    assert sim.bind(binder, p, path) == 0
    assert sim.sys(t, "SYS_IPC_TRY_RECV", p, OUT) == 0
    m = sim.get_msg(t, OUT)
    assert (m.sender, m.msg_type, m.flags) == (binder.tid, 0x10, 0)
    assert m.payload[0] == len(label) <= 47
    assert m.payload[1:1 + len(label)] == label and m.payload[1 + len(label):] == bytes(47 - len(label))
    assert sim.sys(t, "SYS_IPC_TRY_RECV", p, OUT) == E(Errno.EAGAIN)


def test_other_paths_get_no_bootstrap_message(sim, srv):
    t, p = srv
    assert sim.bind(t, p, "/srv/strate-fsx") == 0
    assert sim.sys(t, "SYS_IPC_TRY_RECV", p, OUT) == E(Errno.EAGAIN)


def test_binding_root_after_unbinding_it_queues_a_root_bootstrap(sim, srv):
    t, p = srv
    assert sim.unbind(t, "/") == 0
    assert sim.bind(t, p, "/") == 0
    assert sim.sys(t, "SYS_IPC_TRY_RECV", p, OUT) == 0
    assert sim.get_msg(t, OUT).payload[:5] == b"\x04root"


def test_bootstrap_on_a_full_port_blocks_the_binder_until_there_is_room(sim, srv):
    t, p = srv
    for _ in range(16):
        sim.send(t, p)
    binder = sim.thread(t.process)
    r = sim.bind(binder, p, "/srv/strate-fs-a")
    assert is_block(r) and "bootstrap" in r.what
    assert "/srv/strate-fs-a" in sim.k.mounts  # bound already
    assert sim.sys(t, "SYS_IPC_RECV", p, OUT) == 0
    assert sim.run_woken() == {binder.tid: 0}
    msgs = []
    while sim.sys(t, "SYS_IPC_TRY_RECV", p, OUT) == 0:
        msgs.append(sim.get_msg(t, OUT).msg_type)
    assert msgs[-1] == 0x10 and len(msgs) == 16


def test_bootstrap_on_a_port_destroyed_while_waiting_still_binds(sim):
    a = sim.proc()
    owner, binder = a.main_task, sim.thread(a)
    p = sim.sys(owner, "SYS_IPC_CREATE_PORT", 0)
    for _ in range(16):
        sim.send(owner, p)
    assert is_block(sim.bind(binder, p, "/srv/strate-fs-b"))
    sim.k.exit_task(owner, 0)
    assert sim.run_woken() == {binder.tid: 0}


# -- unbind ----------------------------------------------------------------------------------------------

def test_unbind(sim, srv):
    t, p = srv
    assert sim.bind(t, p, "/srv/u") == 0
    assert sim.unbind(t, "/srv/u") == 0
    assert sim.connect(t, "/srv/u") == E(Errno.ENOENT)
    assert sim.unbind(t, "/srv/u") == E(Errno.EBADF)
    assert sim.unbind(t, "srv") == E(Errno.EBADF)  # no '/' check: just not bound
    assert sim.bind(t, p, "/srv/u") == 0  # can be bound again


def test_unbind_path_checks(sim, srv):
    t, p = srv
    assert sim.sys(t, "SYS_IPC_UNBIND_PORT", 0, 3) == E(Errno.EFAULT)
    assert sim.sys(t, "SYS_IPC_UNBIND_PORT", PATH, 0) == E(Errno.EFAULT)
    assert sim.sys(t, "SYS_IPC_UNBIND_PORT", PATH, 4097) == E(Errno.EINVAL)
    assert sim.sys(t, "SYS_IPC_UNBIND_PORT", UNMAPPED, 3) == E(Errno.EFAULT)
    sim.put(t, PATH, b"/\xc3")
    assert sim.sys(t, "SYS_IPC_UNBIND_PORT", PATH, 2) == E(Errno.EINVAL)


def test_trailing_slash_quirks_of_the_two_tables(sim, srv):
    """Upstream mounts "/srv/q" but records the namespace binding as given,
    "/srv/q/": connect sees the raw path, unbind the normalised one."""
    t, p = srv
    assert sim.bind(t, p, "/srv/q/") == 0
    assert sim.connect(t, "/srv/q") == E(Errno.ENOENT)
    assert sim.connect(t, "/srv/q/x") == E(Errno.ENOENT)
    assert sim.connect(t, "/srv/q/") > 0
    assert sim.unbind(t, "/srv/q/") == E(Errno.EBADF)  # the mount is "/srv/q"
    assert sim.connect(t, "/srv/q/") == E(Errno.ENOENT)  # ...but the binding went
    assert sim.unbind(t, "/srv/q") == 0


# -- connect ------------------------------------------------------------------------------------------------

def test_connect_resolves_the_longest_prefix_on_slash_boundaries(sim):
    t = sim.proc().main_task
    p1, p2 = sim.sys(t, "SYS_IPC_CREATE_PORT", 0), sim.sys(t, "SYS_IPC_CREATE_PORT", 0)
    assert sim.bind(t, p1, "/srv/a") == 0
    assert sim.bind(t, p2, "/srv/a/b") == 0
    port = lambda h: sim.handle(t, h).obj  # noqa: E731
    for path, want in [("/srv/a", p1), ("/srv/a/x", p1), ("/srv/a/bc", p1), ("/srv/a/b", p2),
                       ("/srv/a/b/c/d", p2)]:
        h = sim.connect(t, path)
        assert h > 0 and port(h) is port(want), path
    for path in ("/srv/ab", "/srv", "/srv/", "/", "/srv/b"):
        assert sim.connect(t, path) == E(Errno.ENOENT), path


def test_connect_errors(sim, srv):
    t, p = srv
    assert sim.sys(t, "SYS_IPC_CONNECT", 0, 4) == E(Errno.EFAULT)
    assert sim.sys(t, "SYS_IPC_CONNECT", PATH, 0) == E(Errno.EFAULT)
    assert sim.sys(t, "SYS_IPC_CONNECT", PATH, 5000) == E(Errno.EINVAL)
    assert sim.sys(t, "SYS_IPC_CONNECT", UNMAPPED, 4) == E(Errno.EFAULT)
    sim.put(t, PATH, b"/\x80x")
    assert sim.sys(t, "SYS_IPC_CONNECT", PATH, 3) == E(Errno.EINVAL)
    assert sim.connect(t, "/nothing") == E(Errno.ENOENT)


def test_connect_to_a_gone_port_is_ebadf(sim, srv):
    t, p = srv
    cli = sim.proc().main_task
    assert sim.bind(t, p, "/srv/gone") == 0
    h = sim.connect(cli, "/srv/gone")
    sim.k.exit_process(t.process, 0)
    assert sim.connect(cli, "/srv/gone") == E(Errno.EBADF)
    assert sim.send(cli, h) == E(Errno.EBADF)


def test_a_bound_port_outlives_handles_closed_by_non_owners(sim, srv):
    t, p = srv
    assert sim.bind(t, p, "/srv/c") == 0
    cli = sim.proc().main_task
    h = sim.connect(cli, "/srv/c")
    assert sim.sys(t, "SYS_HANDLE_CLOSE", p) == 0  # not the last handle: alive
    assert sim.send(cli, h) == 0
    assert sim.sys(cli, "SYS_HANDLE_CLOSE", h) == 0  # last, but not the owner: alive
    h2 = sim.connect(cli, "/srv/c")
    assert sim.send(cli, h2, name="SYS_IPC_SEND") == 0
