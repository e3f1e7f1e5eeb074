"""Capabilities: SYS_HANDLE_* (ABI.md section 4), lifetime of IPC objects,
privilege, fork copies, and invariants (hypothesis)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from km_helpers import INFO, OUT, RO, U64_MAX, E, Sim, is_block
from kernel_model import Errno
from kernel_model import capabilities as caps
from kernel_model.capabilities import Perm, Resource, ResourceType

ALL, RW = 31, 3


def make(sim, task, kind):
    """A new object of `kind` in task's process; its handle."""
    call = {"port": ("SYS_IPC_CREATE_PORT", 0), "chan": ("SYS_CHAN_CREATE", 4), "sem": ("SYS_SEM_CREATE", 0),
            "ring": ("SYS_IPC_RING_CREATE", 100)}[kind]
    h = sim.sys(task, *call)
    assert h > 0
    return h


# -- SYS_HANDLE_DUPLICATE -----------------------------------------------------------

def test_duplicate_makes_a_new_handle_to_the_same_object(sim):
    t = sim.proc().main_task
    h = make(sim, t, "sem")
    d = sim.sys(t, "SYS_HANDLE_DUPLICATE", h)
    assert d > h
    assert sim.info(t, d) == sim.info(t, h) == (7, 27, sim.handle(t, h).obj.id)
    assert sim.handle(t, h).obj.refs == 2


def test_duplicate_unknown_or_without_grant_is_eperm(sim):
    t = sim.proc().main_task
    assert sim.sys(t, "SYS_HANDLE_DUPLICATE", 999) == E(Errno.EPERM)
    h = make(sim, t, "sem")
    sim.restrict(t, h, Perm.READ | Perm.WRITE | Perm.REVOKE)
    assert sim.sys(t, "SYS_HANDLE_DUPLICATE", h) == E(Errno.EPERM)


def test_duplicate_copies_reduced_permissions(sim):
    t = sim.proc().main_task
    h = make(sim, t, "port")
    sim.restrict(t, h, Perm.READ | Perm.GRANT)
    d = sim.sys(t, "SYS_HANDLE_DUPLICATE", h)
    assert sim.info(t, d)[1] == Perm.READ | Perm.GRANT


def test_unprivileged_unknown_handle_is_ebadf_before_anything(sim):
    t = sim.proc(admin=False).main_task
    assert sim.sys(t, "SYS_HANDLE_DUPLICATE", 999) == E(Errno.EBADF)
    assert sim.sys(t, "SYS_HANDLE_CLOSE", 999) == E(Errno.EBADF)
    assert sim.sys(t, "SYS_HANDLE_WAIT", 999, 0) == E(Errno.EBADF)
    assert sim.sys(t, "SYS_HANDLE_GRANT", 999, 1 << 40) == E(Errno.EBADF)  # before EINVAL
    assert sim.sys(t, "SYS_HANDLE_REVOKE", 999) == E(Errno.EBADF)
    assert sim.sys(t, "SYS_HANDLE_INFO", 999, 0) == E(Errno.EBADF)  # before EFAULT


def test_unprivileged_task_uses_its_own_handles(sim):
    t = sim.proc(admin=False).main_task
    h = make(sim, t, "sem")
    d = sim.sys(t, "SYS_HANDLE_DUPLICATE", h)
    assert d > h
    assert sim.sys(t, "SYS_HANDLE_WAIT", d, 0) == E(Errno.EAGAIN)
    assert sim.sys(t, "SYS_HANDLE_CLOSE", d) == 0


# -- SYS_HANDLE_CLOSE ----------------------------------------------------------------------

def test_close_removes_the_handle(sim):
    t = sim.proc().main_task
    h = make(sim, t, "chan")
    assert sim.sys(t, "SYS_HANDLE_CLOSE", h) == 0
    assert h not in t.process.handles
    assert sim.sys(t, "SYS_HANDLE_CLOSE", h) == E(Errno.EBADF)
    assert sim.sys(t, "SYS_HANDLE_CLOSE", 12345) == E(Errno.EBADF)


def test_handle_numbers_are_per_process_and_never_reused(sim):
    a, b = sim.proc().main_task, sim.proc().main_task
    ha = make(sim, a, "sem")
    assert sim.sys(b, "SYS_HANDLE_CLOSE", ha) == E(Errno.EBADF)
    assert sim.sys(b, "SYS_HANDLE_INFO", ha, INFO) == E(Errno.EBADF)
    assert sim.sys(a, "SYS_HANDLE_CLOSE", ha) == 0
    seen = {ha}
    for kind in ("sem", "port", "chan", "ring"):
        h = make(sim, b, kind)
        assert h not in seen and h > max(seen)
        seen.add(h)


# -- SYS_HANDLE_GRANT --------------------------------------------------------------------------

def test_grant_copies_the_handle_into_another_process(sim):
    a, b = sim.proc().main_task, sim.proc().main_task
    h = make(sim, a, "sem")
    g = sim.sys(a, "SYS_HANDLE_GRANT", h, b.process.pid)
    assert g > h
    assert g in b.process.handles and g not in a.process.handles
    assert sim.info(b, g) == sim.info(a, h)
    assert sim.handle(a, h).obj.refs == 2
    # The granted handle works there: post in b, trywait in a.
    assert sim.sys(b, "SYS_SEM_POST", g) == 0
    assert sim.sys(a, "SYS_SEM_TRYWAIT", h) == 0


def test_grant_errors_in_upstream_order(sim):
    a = sim.proc().main_task
    h = make(sim, a, "sem")
    assert sim.sys(a, "SYS_HANDLE_GRANT", 999, 1 << 32) == E(Errno.EINVAL)  # the pid check comes first
    assert sim.sys(a, "SYS_HANDLE_GRANT", 999, a.process.pid) == E(Errno.EBADF)
    sim.restrict(a, h, Perm.READ | Perm.WRITE)
    assert sim.sys(a, "SYS_HANDLE_GRANT", h, 4242) == E(Errno.EPERM)  # before ENOENT
    h2 = make(sim, a, "sem")
    assert sim.sys(a, "SYS_HANDLE_GRANT", h2, 4242) == E(Errno.ENOENT)
    assert sim.sys(a, "SYS_HANDLE_GRANT", h2, 0) == E(Errno.ENOENT)


def test_grant_to_an_exited_process_is_enoent(sim):
    a, b = sim.proc().main_task, sim.proc()
    h = make(sim, a, "sem")
    sim.k.exit_process(b, 0)
    assert sim.sys(a, "SYS_HANDLE_GRANT", h, b.pid) == E(Errno.ENOENT)
    assert sim.handle(a, h).obj.refs == 1


def test_grant_to_self_is_allowed(sim):
    a = sim.proc().main_task
    h = make(sim, a, "chan")
    g = sim.sys(a, "SYS_HANDLE_GRANT", h, a.process.pid)
    assert g > h and sim.info(a, g) == sim.info(a, h)


# -- SYS_HANDLE_REVOKE -----------------------------------------------------------------------------

def test_revoke_needs_revoke_permission(sim):
    t = sim.proc().main_task
    c = make(sim, t, "chan")  # channels: read|write|grant, no revoke
    assert sim.sys(t, "SYS_HANDLE_REVOKE", c) == E(Errno.EPERM)
    assert sim.sys(t, "SYS_HANDLE_REVOKE", 999) == E(Errno.EBADF)
    s = make(sim, t, "sem")
    sem = sim.handle(t, s).obj
    assert sim.sys(t, "SYS_HANDLE_REVOKE", s) == 0
    assert s not in t.process.handles and sem.destroyed


# -- SYS_HANDLE_INFO ---------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, rtype, perms", [("port", 4, ALL), ("chan", 5, 1 | 2 | 8), ("sem", 7, 1 | 2 | 8 | 16),
                                                ("ring", 6, 1 | 2 | 8 | 16)])
def test_info_reports_type_permissions_and_resource(sim, kind, rtype, perms):
    t = sim.proc().main_task
    h = make(sim, t, kind)
    assert sim.info(t, h) == (rtype, perms, sim.handle(t, h).obj.id)


def test_resource_ids_count_per_type_from_one(sim):
    t = sim.proc().main_task
    p1, c1, p2 = make(sim, t, "port"), make(sim, t, "chan"), make(sim, t, "port")
    assert [sim.info(t, h)[2] for h in (p1, c1, p2)] == [1, 1, 2]


def test_info_errors(sim):
    t = sim.proc().main_task
    h = make(sim, t, "sem")
    assert sim.sys(t, "SYS_HANDLE_INFO", 999, 0) == E(Errno.EFAULT)  # out == 0 first (admin)
    assert sim.sys(t, "SYS_HANDLE_INFO", 999, INFO) == E(Errno.EBADF)
    assert sim.sys(t, "SYS_HANDLE_INFO", h, RO) == E(Errno.EFAULT)


# -- SYS_HANDLE_WAIT: readiness ----------------------------------------------------------------------

def test_wait_semaphore_readiness(sim):
    t = sim.proc().main_task
    s = make(sim, t, "sem")
    assert sim.sys(t, "SYS_HANDLE_WAIT", s, 0) == E(Errno.EAGAIN)
    sim.sys(t, "SYS_SEM_POST", s)
    assert sim.sys(t, "SYS_HANDLE_WAIT", s, 0) == 1
    assert sim.sys(t, "SYS_HANDLE_WAIT", s, 1000) == 1  # ready at once: no block
    sim.restrict(t, s, Perm.WRITE)
    assert sim.sys(t, "SYS_HANDLE_WAIT", s, 0) == E(Errno.EPERM)


def test_wait_port_readiness(sim):
    t = sim.proc().main_task
    p = make(sim, t, "port")
    assert sim.sys(t, "SYS_HANDLE_WAIT", p, 0) == 2  # empty: writable
    sim.send(t, p)
    assert sim.sys(t, "SYS_HANDLE_WAIT", p, 0) == 3
    for _ in range(15):
        sim.send(t, p)
    assert sim.sys(t, "SYS_HANDLE_WAIT", p, 0) == 1  # full: readable only
    sim.restrict(t, p, Perm.WRITE)
    assert sim.sys(t, "SYS_HANDLE_WAIT", p, 0) == E(Errno.EAGAIN)
    sim.restrict(t, p, Perm.GRANT)
    assert sim.sys(t, "SYS_HANDLE_WAIT", p, 0) == E(Errno.EPERM)


def test_wait_channel_readiness(sim):
    t = sim.proc().main_task
    c = sim.sys(t, "SYS_CHAN_CREATE", 1)
    assert sim.sys(t, "SYS_HANDLE_WAIT", c, 0) == 2
    sim.send(t, c, name="SYS_CHAN_SEND")
    assert sim.sys(t, "SYS_HANDLE_WAIT", c, 0) == 1  # capacity 1: full
    sim.restrict(t, c, Perm.READ)
    assert sim.sys(t, "SYS_HANDLE_WAIT", c, 0) == 1
    sim.restrict(t, c, Perm.GRANT)
    assert sim.sys(t, "SYS_HANDLE_WAIT", c, 0) == E(Errno.EPERM)


def test_wait_ring_readiness_is_by_permission(sim):
    t = sim.proc().main_task
    r = make(sim, t, "ring")
    assert sim.sys(t, "SYS_HANDLE_WAIT", r, 0) == 3
    sim.restrict(t, r, Perm.READ)
    assert sim.sys(t, "SYS_HANDLE_WAIT", r, U64_MAX) == 1
    sim.restrict(t, r, Perm.GRANT)
    assert sim.sys(t, "SYS_HANDLE_WAIT", r, 0) == E(Errno.EPERM)


def test_wait_other_types_enotsup_and_unknown_ebadf(sim):
    t = sim.proc().main_task
    h = caps.insert(sim.k, t.process, Resource(sim.k, ResourceType.CONSOLE), caps.PERM_ALL)
    assert sim.sys(t, "SYS_HANDLE_WAIT", h, 0) == E(Errno.ENOTSUP)
    assert sim.sys(t, "SYS_HANDLE_WAIT", h, 5000) == E(Errno.ENOTSUP)
    assert sim.info(t, h)[0] == 15
    assert sim.sys(t, "SYS_HANDLE_WAIT", 999, 0) == E(Errno.EBADF)
    assert sim.sys(t, "SYS_HANDLE_WAIT", 999, U64_MAX) == E(Errno.EBADF)


# -- SYS_HANDLE_WAIT: blocking -------------------------------------------------------------------------

def test_wait_forever_is_woken_by_a_post(sim):
    a = sim.proc()
    t1, t2 = a.main_task, sim.thread(a)
    s = make(sim, t1, "sem")
    r = sim.sys(t1, "SYS_HANDLE_WAIT", s, U64_MAX)
    assert is_block(r) and r.deadline is None
    assert sim.sys(t2, "SYS_SEM_POST", s) == 0
    assert sim.woken == [t1]
    assert sim.run_woken() == {t1.tid: 1}
    assert sim.handle(t1, s).obj.count == 1  # a wait consumes nothing


def test_wait_times_out_at_the_deadline(sim):
    t = sim.proc().main_task
    s = make(sim, t, "sem")
    r = sim.sys(t, "SYS_HANDLE_WAIT", s, 5000)
    assert is_block(r) and r.deadline == sim.k.now_ns + 5000  # the call's time + the timeout
    assert sim.k.advance_to_next_deadline()
    assert sim.resume(t) == E(Errno.ETIMEDOUT)


def test_wait_with_huge_timeout_saturates(sim):
    t = sim.proc().main_task
    s = make(sim, t, "sem")
    r = sim.sys(t, "SYS_HANDLE_WAIT", s, U64_MAX - 1)
    assert r.deadline == U64_MAX


def test_wait_blocks_again_when_readiness_is_gone_before_it_runs(sim):
    srv, cli = sim.proc(), sim.proc()
    p = make(sim, srv.main_task, "port")
    g = sim.sys(srv.main_task, "SYS_HANDLE_GRANT", p, cli.pid)
    sim.restrict(srv.main_task, p, Perm.READ)  # the waiter only cares about readable
    assert is_block(sim.sys(srv.main_task, "SYS_HANDLE_WAIT", p, 10**9))
    assert sim.send(cli.main_task, g) == 0
    assert sim.woken == [srv.main_task]
    assert sim.sys(cli.main_task, "SYS_IPC_TRY_RECV", g, OUT) == 0  # someone else takes it first
    sim.woken.clear()
    r = sim.resume(srv.main_task)
    assert is_block(r) and r.deadline is not None


def test_wait_is_not_woken_by_other_objects(sim):
    a = sim.proc()
    t1, t2 = a.main_task, sim.thread(a)
    s = make(sim, t1, "sem")
    assert is_block(sim.sys(t1, "SYS_HANDLE_WAIT", s, U64_MAX))
    s2 = make(sim, t2, "sem")
    assert sim.sys(t2, "SYS_SEM_POST", s2) == 0
    assert sim.sys(t2, "SYS_HANDLE_CLOSE", s2) == 0
    assert sim.woken == []


def test_wait_is_woken_by_a_message_then_by_room(sim):
    srv, cli = sim.proc(), sim.proc()
    p = make(sim, srv.main_task, "port")
    g = sim.sys(srv.main_task, "SYS_HANDLE_GRANT", p, cli.pid)
    assert is_block(sim.sys(srv.main_task, "SYS_HANDLE_WAIT", p, U64_MAX)) is False  # writable at once
    sim.restrict(srv.main_task, p, Perm.READ)
    assert is_block(sim.sys(srv.main_task, "SYS_HANDLE_WAIT", p, U64_MAX))
    assert sim.send(cli.main_task, g) == 0
    assert sim.run_woken() == {srv.main_task.tid: 1}


def test_wait_on_destroyed_object_fails_with_epipe(sim):
    srv, cli = sim.proc(), sim.proc()
    p = make(sim, srv.main_task, "port")
    g = sim.sys(srv.main_task, "SYS_HANDLE_GRANT", p, cli.pid)
    sim.restrict(cli.main_task, g, Perm.READ)
    assert is_block(sim.sys(cli.main_task, "SYS_HANDLE_WAIT", g, U64_MAX))
    sim.k.exit_process(srv, 0)  # the owner exits: the port is destroyed
    assert sim.run_woken() == {cli.main_task.tid: E(Errno.EPIPE)}
    assert sim.sys(cli.main_task, "SYS_HANDLE_WAIT", g, 0) == E(Errno.EPIPE)


def test_wait_fails_when_another_thread_closes_the_handle(sim):
    a = sim.proc()
    t1, t2 = a.main_task, sim.thread(a)
    s = make(sim, t1, "sem")
    d = sim.sys(t1, "SYS_HANDLE_DUPLICATE", s)
    assert is_block(sim.sys(t1, "SYS_HANDLE_WAIT", s, U64_MAX))
    assert sim.sys(t2, "SYS_HANDLE_CLOSE", s) == 0
    assert sim.run_woken() == {t1.tid: E(Errno.EBADF)}
    assert not sim.handle(t1, d).obj.destroyed


# -- lifetime ---------------------------------------------------------------------------------------------

def test_object_lives_while_any_handle_exists(sim):
    a, b = sim.proc().main_task, sim.proc().main_task
    s = make(sim, a, "sem")
    sem = sim.handle(a, s).obj
    g = sim.sys(a, "SYS_HANDLE_GRANT", s, b.process.pid)
    d = sim.sys(b, "SYS_HANDLE_DUPLICATE", g)
    for task, h in ((a, s), (b, g)):
        assert sim.sys(task, "SYS_HANDLE_CLOSE", h) == 0
        assert not sem.destroyed
    assert sem.refs == 1 and sim.k.semaphores == {sem.id: sem}
    assert sim.sys(b, "SYS_HANDLE_CLOSE", d) == 0
    assert sem.destroyed and sim.k.semaphores == {}


def test_last_close_wakes_blocked_tasks_with_epipe(sim):
    a = sim.proc()
    t1, t2, t3 = a.main_task, sim.thread(a), sim.thread(a)
    c = sim.sys(t1, "SYS_CHAN_CREATE", 1)
    assert is_block(sim.sys(t1, "SYS_CHAN_RECV", c, OUT))
    s = make(sim, t2, "sem")
    assert is_block(sim.sys(t2, "SYS_SEM_WAIT", s))
    assert sim.sys(t3, "SYS_HANDLE_CLOSE", c) == 0
    assert sim.sys(t3, "SYS_SEM_CLOSE", s) == 0
    assert sim.run_woken() == {t1.tid: E(Errno.EPIPE), t2.tid: E(Errno.EPIPE)}


def test_port_last_close_destroys_only_when_the_closer_is_the_owner(sim):
    own, other = sim.proc().main_task, sim.proc().main_task
    p = make(sim, own, "port")
    port = sim.handle(own, p).obj
    g = sim.sys(own, "SYS_HANDLE_GRANT", p, other.process.pid)
    assert sim.sys(own, "SYS_HANDLE_CLOSE", p) == 0
    assert sim.sys(other, "SYS_HANDLE_CLOSE", g) == 0  # last close, not by the owner
    assert port.refs == 0 and not port.destroyed and sim.k.ports[port.id] is port
    sim.k.exit_process(own.process, 0)  # the owner exits: destroyed in any case
    assert port.destroyed and port.id not in sim.k.ports

    p2 = make(sim, other, "port")
    port2 = sim.handle(other, p2).obj
    assert sim.sys(other, "SYS_HANDLE_CLOSE", p2) == 0
    assert port2.destroyed


def test_port_of_a_thread_closed_by_a_sibling_thread_survives(sim):
    a = sim.proc()
    t1, t2 = a.main_task, sim.thread(a)
    p = make(sim, t2, "port")  # owned by t2
    port = sim.handle(t1, p).obj
    assert sim.sys(t1, "SYS_HANDLE_CLOSE", p) == 0
    assert not port.destroyed


def test_process_exit_releases_every_handle(sim):
    a, b = sim.proc(), sim.proc()
    s = make(sim, a.main_task, "sem")
    c = make(sim, a.main_task, "chan")
    g = sim.sys(a.main_task, "SYS_HANDLE_GRANT", s, b.pid)
    sem, chan = sim.handle(a.main_task, s).obj, sim.handle(a.main_task, c).obj
    sim.k.exit_process(a, 0)
    assert a.handles == {}
    assert chan.destroyed and not sem.destroyed and sem.refs == 1
    assert sim.sys(b.main_task, "SYS_SEM_POST", g) == 0


def test_fork_copies_the_table_with_the_same_numbers(sim):
    parent = sim.proc()
    s = make(sim, parent.main_task, "sem")
    sem = sim.handle(parent.main_task, s).obj
    child = sim.k.spawn_process(parent.memory, name="child", parent=parent)
    assert set(child.handles) == {s} and child.handles[s] is not parent.handles[s]
    assert sem.refs == 2
    assert sim.sys(parent.main_task, "SYS_HANDLE_CLOSE", s) == 0
    assert not sem.destroyed
    assert sim.sys(child.main_task, "SYS_SEM_POST", s) == 0
    sim.k.exit_process(child, 0)
    assert sem.destroyed


# -- invariants (hypothesis) ---------------------------------------------------------------------------------

OPS = st.lists(st.tuples(st.sampled_from(["create", "dup", "grant", "close", "revoke", "exit", "transfer"]),
                         st.sampled_from(["port", "chan", "sem", "ring"]),
                         st.integers(0, 2), st.integers(0, 2), st.integers(0, 50)),
               max_size=40)


@settings(max_examples=150, deadline=None)
@given(ops=OPS)
def test_invariants_ids_never_reused_and_refcounts_match(ops):
    sim = Sim()
    procs = [sim.proc() for _ in range(3)]
    issued: list[int] = []
    objects = []

    def note(h):
        if h > 0:
            assert h not in issued and (not issued or h > max(issued)), "handle id reused"
            issued.append(h)

    for op, kind, i, j, n in ops:
        p, q = procs[i], procs[j]
        if not p.alive:
            continue
        t = p.main_task
        mine = sorted(p.handles)
        pick = mine[n % len(mine)] if mine else 999
        if op == "create":
            h = make(sim, t, kind)
            note(h)
            objects.append(sim.handle(t, h).obj)
        elif op == "dup":
            note(sim.sys(t, "SYS_HANDLE_DUPLICATE", pick))
        elif op == "grant":
            note(sim.sys(t, "SYS_HANDLE_GRANT", pick, q.pid))
        elif op == "close":
            sim.sys(t, "SYS_HANDLE_CLOSE", pick)
        elif op == "revoke":
            sim.sys(t, "SYS_HANDLE_REVOKE", pick)
        elif op == "exit":
            sim.k.exit_process(p, 0)
        elif op == "transfer" and q.alive and q is not p:
            # p sends `pick` over a port of q; q receives it.
            port_h = make(sim, q.main_task, "port")
            note(port_h)
            objects.append(sim.handle(q.main_task, port_h).obj)
            g = sim.sys(q.main_task, "SYS_HANDLE_GRANT", port_h, p.pid)
            note(g)
            if sim.send(t, g, flags=pick) == 0:
                r = sim.sys(q.main_task, "SYS_IPC_TRY_RECV", port_h, OUT)
                if r == 0:
                    note(sim.get_msg(q.main_task, OUT).flags)
        # invariants
        for obj in objects:
            assert obj.refs == caps.live_handles(sim.k, obj)
            if obj.rtype is not ResourceType.IPC_PORT:
                assert obj.destroyed == (obj.refs == 0)
        for proc in procs:
            for hid, h in proc.handles.items():
                assert h.id == hid and not h.obj.destroyed or h.rtype is ResourceType.IPC_PORT
    assert sim.k.next_cap_id > (max(issued) if issued else 0)


@settings(max_examples=60, deadline=None)
@given(counts=st.lists(st.integers(0, 3), min_size=1, max_size=6))
def test_invariant_a_message_is_received_once_in_order(counts):
    sim = Sim()
    srv, cli = sim.proc(), sim.proc()
    p = make(sim, srv.main_task, "port")
    g = sim.sys(srv.main_task, "SYS_HANDLE_GRANT", p, cli.pid)
    sent, got = [], []
    seq = 0
    for c in counts:
        for _ in range(c):
            if len(sent) - len(got) < 16:
                seq += 1
                assert sim.send(cli.main_task, g, msg_type=seq) == 0
                sent.append(seq)
        while sim.sys(srv.main_task, "SYS_IPC_TRY_RECV", p, OUT) == 0:
            got.append(sim.get_msg(srv.main_task, OUT).msg_type)
    assert got == sent
