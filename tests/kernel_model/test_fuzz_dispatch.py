"""Syscall fuzzing of the kernel model: hypothesis drives `Kernel.dispatch`
for the tasks of a few processes (admin and unprivileged, with threads and
forked children) on fake memory, with random syscall numbers (mostly the
table's) and arguments (valid, closed, foreign and absurd handles; pointers
into read/write, read-only and unmapped memory and across their edges;
paths, messages with handle transfers, sizes), resumes the tasks it wakes,
lets virtual time pass and kills processes as a CPU fault would.

Only documented outcomes may come out: a result (an errno for errors), a
Block from a call the table says blocks, YIELD, EXITED from an exit call;
never another Python exception. After every step the kernel's bookkeeping
must hold (see `check_invariants`): handle tables consistent with the
objects' counts, ids unique and never reused, no destroyed object reachable
except a port whose owner is gone, no object alive without a handle except
an owned port, registries exact, blocked tasks in their wait queues and
nobody else there. When the example ends every process exits and nothing
may be left.

The same driver runs two ways: under hypothesis (a state machine whose
failures shrink to a short sequence of calls) and from a seeded
`random.Random` for long runs (`fuzz_random`; a few seeds here, many more
in `make fuzz`). STRAT9_FUZZ_EXAMPLES=N sets the hypothesis examples
(default 100).
"""

from __future__ import annotations

import os
import random
import struct
from collections import Counter

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule
from km_helpers import INFO, MSG, OUT, PATH, RO, RW_BASE, RW_SIZE, UNMAPPED, FakeConsole, FakeMachine

from kernel_model import EXITED, YIELD, Block, Errno, FakeMemory, Kernel, SyscallError, TaskState
from kernel_model import capabilities as caps
from kernel_model.capabilities import KernelObject
from kernel_model.errno import decode_result
from kernel_model.limits import Limits
from kernel_model.memory import PAGE_SIZE, PROT_READ, PROT_WRITE, MemoryFault
from kernel_model.message import IpcMessage
from kernel_model.port import Port
from kernel_model.syscalls import BY_NR, TABLE, Kind

EXAMPLES = int(os.environ.get("STRAT9_FUZZ_EXAMPLES", "100"))
U64 = (1 << 64) - 1
PAGE = PAGE_SIZE

# Calls the driver counts and the results it saw, for `make fuzz` statistics.
STATS: Counter = Counter()
UNDECLARED: dict[str, set] = {}  # syscall name -> errnos seen that its table row does not list


# -- fake memory and machine with limits ---------------------------------------------------------

class FuzzMemory(FakeMemory):
    """FakeMemory whose range operations cost the pages mapped, not the
    range size, and which refuses to grow past LIMIT_PAGES (ENOMEM), so that
    an mmap of 2^46 bytes is answered at once."""

    LIMIT_PAGES = 96

    def _pages_in(self, addr: int, size: int) -> list[int]:
        lo, hi = addr & ~(PAGE - 1), addr + size
        if size // PAGE < len(self.prot):
            return [p for p in range(lo, hi, PAGE) if p in self.prot]
        return [p for p in self.prot if lo <= p < hi]

    def is_free(self, addr: int, size: int) -> bool:
        return not self._pages_in(addr, size)

    def find_free(self, size: int, hint: int, align: int = PAGE) -> int:
        base = (hint + align - 1) & ~(align - 1)
        while True:
            if base + size > 1 << 47:
                raise SyscallError(Errno.ENOMEM)
            taken = self._pages_in(base, size)
            if not taken:
                return base
            base = (max(taken) + PAGE + align - 1) & ~(align - 1)

    def _grow(self, size: int) -> None:
        if len(self.prot) + (size + PAGE - 1) // PAGE > self.LIMIT_PAGES:
            raise SyscallError(Errno.ENOMEM)

    def map_anonymous(self, addr: int, size: int, prot: int, shared: bool) -> None:
        self._grow(size)
        self.map(addr, size, prot)

    def unmap(self, addr: int, size: int) -> None:
        for page in self._pages_in(addr, size):
            self.pages.pop(page, None)
            self.prot.pop(page, None)

    def map_shared(self, buffer, hint: int, prot: int) -> int:
        self._grow(len(buffer))
        base = self.find_free(len(buffer), hint)
        self.map(base, len(buffer), prot)
        self.shared.append((base, buffer))
        return base

    def copy(self) -> "FuzzMemory":
        mem = FuzzMemory()
        mem.pages = {p: bytearray(d) for p, d in self.pages.items()}
        mem.prot = dict(self.prot)
        return mem


class FuzzMachine(FakeMachine):
    """Forks copy FuzzMemory; a fork fails with ENOMEM when `fail_fork` is set
    (the machine could not copy the address space)."""

    def __init__(self, woken: list):
        super().__init__(woken)
        self.fail_fork = False

    def fork(self, parent, child):
        if self.fail_fork:
            raise SyscallError(Errno.ENOMEM)
        child.memory = parent.process.memory.copy()
        self.woken.append(child.main_task)


# -- argument values -------------------------------------------------------------------------------

RO_END = RO + PAGE
RW_END = RW_BASE + RW_SIZE
POINTERS = [0, MSG, OUT, INFO, PATH, RW_BASE + 0x800, RO, RO + 8, UNMAPPED, RW_END - 8, RW_END - 63, RO_END - 8,
            RO - 8, U64 - 15, 1 << 47, 0xFFFF_8000_0000_0000, 0x6000_0000, 0x1000]
SIZES = [0, 1, 2, 5, 8, 15, 16, 48, 63, 64, 65, 4095, 4096, 4097, 16384, 1 << 20, 1 << 32, 1 << 47, U64]
INTS = [0, 1, 2, 3, 4, 7, 8, 16, 0x20, 0x22, 0x31, 0x1000, 0x1002, 0x1003, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF,
        1 << 32, 1 << 47, (1 << 63) - 1, 1 << 63, U64 - 1, U64]
TIMEOUTS = [0, 1, 999, 1000, 5000, 1_000_000, 10**9, U64 - 1, U64]
PATHS = [b"/srv/a", b"/srv/a/b", b"/srv/a/", b"/srv/ab", b"/srv", b"/srv/strate-fs-x", b"/srv/strate-fs-/y", b"/",
         b"/dev", b"/initfs", b"srv/a", b"", b"/\xff\xfe", b"//", b"/srv/a" + b"/z" * 40]
TABLE_NRS = [sc.nr for sc in TABLE]
# Calls that end the caller come up less often than the others.
WEIGHTED_NRS = [sc.nr for sc in TABLE
                for _ in range(1 if sc.nr in (300, 334, 343) or sc.status != "implemented" else 4)]
TIMESPEC = OUT + 0x80
GOOD_POINTER = {Kind.MSG_IN: MSG, Kind.MSG_INOUT: MSG, Kind.MSG_OUT: OUT, Kind.PATH: PATH, Kind.BUF: MSG,
                Kind.TIMESPEC_IN: TIMESPEC, Kind.TIMESPEC_OUT: INFO, Kind.HANDLEINFO_OUT: INFO, Kind.U64_OUT: INFO,
                Kind.STATUS_OUT: INFO}
BLOCKING = {sc.nr for sc in TABLE if sc.blocks}
EXIT_CALLS = {300, 334, 343}
YIELDING = {301, 501}
# Object type of the handles each family of calls takes (nr // 10).
FAMILY = {20: 4, 21: 6, 22: 5, 23: 7}
CHOICES = {Kind.HEX: [0, 0, 0, 1, 0x1000, 0x6000_0000, 0x7000_0000], Kind.WAIT_OPTIONS: [0, 0, 1, 2, U64],
           Kind.CLOCK: [0, 1, 2, U64], Kind.ARCH_PRCTL_CODE: [0x1001, 0x1002, 0x1003, 0x1004, 0, 0x1005],
           Kind.PROT: [0, 1, 2, 3, 4, 5, 7, 8], Kind.FD: [1, 2, 0, 3, U64],
           Kind.MAP_FLAGS: [0x22, 0x22, 0x21, 0x32, 0x12, 0x20, 0x23, 0x822, 0x100032, 0x40, 0x02],
           Kind.UINT: [0, 1, 2, 16, 64, 4095, 4096, 8192, 1 << 16, 1 << 20, 1 << 31, (1 << 31) - 1, 1 << 32, U64]}
MEMORY_INPUTS = {Kind.MSG_IN, Kind.MSG_INOUT, Kind.PATH, Kind.BUF, Kind.TIMESPEC_IN}
PAYLOADS = [b"", b"hello", bytes(range(48)), b"\xff" * 48]


class HypothesisChooser:
    """Choices drawn by hypothesis (so that failures shrink)."""

    def __init__(self, data):
        self.data = data

    def choice(self, seq):
        return self.data.draw(st.sampled_from(seq))

    def integer(self, lo: int, hi: int) -> int:
        return self.data.draw(st.integers(lo, hi))


class RandomChooser:
    """Choices from a seeded random.Random (long runs, no shrinking)."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def choice(self, seq):
        return self.rng.choice(seq)

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)


def pick(ch, *choices):
    """One of (weight, make_value) pairs, chosen by weight."""
    index = ch.choice([i for i, (w, _) in enumerate(choices) for _ in range(w)])
    return choices[index][1]()


def errno_ok(raw: int) -> int | None:
    """The signed value of a raw result; fails on an error value that is no errno."""
    value, err = decode_result(raw)
    assert raw == raw & U64
    if -4096 < value < 0:
        assert err is not None, f"result {value} is in the error range but names no errno"
    return value


# -- the state machine -------------------------------------------------------------------------------

class Driver:
    """A kernel, three processes and the scheduler's part: pick a runnable
    task and a syscall, resume woken tasks, let time pass, kill processes."""

    def __init__(self, unprivileged: int = 0):
        self.woken: list = []
        self.console = FakeConsole()
        self.machine = FuzzMachine(self.woken)
        limits = Limits(processes=7, tasks=14, threads_per_process=4, handles_per_process=6, objects=12,
                        ring_memory=6 * PAGE)
        self.k = Kernel(self.console, on_wake=self.woken.append, machine=self.machine, limits=limits)
        self.pending_nr: dict[int, int] = {}  # tid -> the call it is blocked in
        self.seen: dict[int, KernelObject] = {}  # every handle id that ever existed -> its object
        self.retired: set[int] = set()  # ids that existed and are gone: never to come back
        self.objects: dict[int, KernelObject] = {}  # id() -> every object ever seen
        self.path_len = 0  # length of the path last written at PATH
        for i in range(3):
            self.new_process(admin=i + 1 != unprivileged)

    # -- set-up ----------------------------------------------------------------------------

    def new_process(self, admin: bool):
        mem = FuzzMemory()
        mem.map(RW_BASE, RW_SIZE, PROT_READ | PROT_WRITE)
        mem.map(RO, PAGE, PROT_READ)
        return self.k.spawn_process(mem, admin=admin)

    # -- helpers -------------------------------------------------------------------------------

    def callers(self):
        return [t for t in self.k.tasks.values() if t.state is TaskState.RUNNABLE and t.block is None]

    def woken_tasks(self):
        return [t for t in self.k.tasks.values() if t.state is TaskState.RUNNABLE and t.block is not None]

    def handle_ids(self) -> list[int]:
        return sorted(self.seen) or [1]

    def handle(self, ch, task, nr: int | None = None) -> int:
        """Mostly the caller's own handles (of the call's object type when it
        has one), else another process's, a closed one or junk."""
        own = sorted(task.process.handles)
        rtype = FAMILY.get(nr // 10 if nr is not None else -1)
        typed = [h for h in own if task.process.handles[h].obj.rtype == rtype]
        return pick(ch, (5 if typed else 0, lambda: ch.choice(typed)), (2 if own else 0, lambda: ch.choice(own)),
                    (1, lambda: ch.choice(self.handle_ids())),
                    (1, lambda: ch.choice([0, self.k.next_cap_id, 1 << 32, U64])), (1, lambda: ch.integer(0, U64)))

    def arg(self, ch, task, kind: Kind | None, nr: int | None = None) -> int:
        if kind is None:
            return pick(ch, (1, lambda: ch.choice(INTS)), (1, lambda: ch.choice(POINTERS)),
                        (1, lambda: ch.integer(0, U64)), (1, lambda: self.handle(ch, task)))
        if kind is Kind.HANDLE:
            return self.handle(ch, task, nr)
        if kind in CHOICES:
            return pick(ch, (4, lambda: ch.choice(CHOICES[kind])), (1, lambda: ch.choice(INTS)),
                        (1, lambda: ch.integer(0, U64)))
        good = GOOD_POINTER.get(kind)
        if good is not None or kind is Kind.PTR:
            return pick(ch, (3 if good else 0, lambda: good), (2, lambda: ch.choice(POINTERS)),
                        (1, lambda: ch.integer(0, U64)))
        if kind is Kind.LEN:
            return pick(ch, (3, lambda: self.path_len), (2, lambda: ch.choice(SIZES)), (1, lambda: ch.integer(0, 5000)))
        if kind is Kind.PID:
            return pick(ch, (3, lambda: ch.choice(sorted(self.k.processes))),
                        (1, lambda: ch.choice(sorted(self.k.tasks) + [0, 1 << 32, U64])),
                        (1, lambda: ch.integer(0, U64)))
        if kind is Kind.TIMEOUT_NS:
            return ch.choice(TIMEOUTS)
        ids = sorted(self.k.tasks)
        return pick(ch, (3, lambda: ch.choice(INTS)), (2, lambda: ch.choice(ids + [U64])),
                    (1, lambda: ch.integer(0, U64)))

    def prepare_memory(self, ch, task) -> None:
        """Put a message, a path and a time spec where the pointers point."""
        mem = task.process.memory
        own = sorted(task.process.handles)
        flags = pick(ch, (3, lambda: 0), (2 if own else 0, lambda: ch.choice(own)),
                     (1, lambda: ch.choice(self.handle_ids())), (1, lambda: ch.choice([1 << 31, 0xFFFF_FFFF])))
        sender = ch.choice(sorted(self.k.tasks) + [0, 999, U64])
        msg = IpcMessage(sender, ch.choice([0, 1, 0x10, 0x80, 0xFFFF_FFFF]), flags,
                         ch.choice(PAYLOADS).ljust(48, b"\0"))
        path = ch.choice(PATHS)
        self.path_len = len(path)
        spec = struct.pack("<qq", ch.choice([0, 0, 0, 1, -1, 1 << 40]), ch.choice([0, 1, 1000, 999_999_999, -1]))
        for addr, blob in ((MSG, msg.pack()), (PATH, path.ljust(96, b"\0")), (TIMESPEC, spec)):
            try:
                mem.write(addr, blob)
            except MemoryFault:
                pass  # the guest unmapped it (munmap, mmap MAP_FIXED)

    def check_result(self, task, nr: int, r) -> None:
        name = BY_NR[nr].name if nr in BY_NR else "unknown"
        STATS["calls"] += 1
        if r.__class__ is int:
            value = errno_ok(r)
            if -4096 < value < 0:
                STATS[f"{name} {decode_result(r)[1].name}"] += 1
                declared = BY_NR[nr].errors if nr in BY_NR else ()
                err = decode_result(r)[1].name
                if nr in BY_NR and BY_NR[nr].status == "implemented" and err not in declared:
                    UNDECLARED.setdefault(name, set()).add(err)
            else:
                STATS[f"{name} ok"] += 1
            assert task.state is not TaskState.BLOCKED
            return
        if r is YIELD:
            STATS[f"{name} yield"] += 1
            assert nr in YIELDING, f"{name} yielded"
            assert task.alive and task.state is TaskState.RUNNABLE
            return
        if r is EXITED:
            STATS[f"{name} exited"] += 1
            assert nr in EXIT_CALLS, f"{name} returned EXITED"
            assert not task.alive
            return
        assert isinstance(r, Block), f"{name} returned {r!r}"
        assert nr in BLOCKING, f"{name} blocked, but the table says it does not block"
        assert task.state is TaskState.BLOCKED and task.block is r
        STATS[f"{name} block"] += 1
        self.pending_nr[task.tid] = nr

    # -- steps ---------------------------------------------------------------------------------

    def step(self, ch):
        callers, woken = self.callers(), self.woken_tasks()
        actions = ["call"] * (24 if callers else 0) + ["resume"] * (6 if woken else 0) + ["time", "spawn", "fault"]
        if not callers and not woken and self.k.live_tasks():
            actions += ["idle"] * 6
        getattr(self, "do_" + ch.choice(actions))(ch)
        self.check()

    def do_call(self, ch):
        task = ch.choice(self.callers())
        nr = pick(ch, (14, lambda: ch.choice(WEIGHTED_NRS)), (1, lambda: ch.integer(0, 1100)),
                  (1, lambda: ch.choice([1023, 1024, 1 << 32, U64])))
        sc = BY_NR.get(nr)
        if sc is None:
            args = [self.arg(ch, task, None) for _ in range(6)]
        else:
            if any(a.kind in MEMORY_INPUTS for a in sc.args) and ch.choice([True, True, False]):
                self.prepare_memory(ch, task)
            args = [self.arg(ch, task, a.kind, nr) for a in sc.args] + [0] * (6 - len(sc.args))
        self.machine.fail_fork = nr == 302 and ch.choice([False, False, True])
        r = self.k.dispatch(task, nr, *args)
        self.check_result(task, nr, r)

    def do_resume(self, ch):
        task = ch.choice(self.woken_tasks())
        assert task in self.woken, f"{task} is runnable with a pending call but was never woken"
        nr = self.pending_nr.pop(task.tid)
        while task in self.woken:
            self.woken.remove(task)
        r = self.k.resume(task)
        self.check_result(task, nr, r)

    def do_time(self, ch):
        self.k.now_ns += ch.choice([0, 1000, 10**6, 10**9])
        self.k.expire_timers()

    def do_idle(self, ch):
        """Every live task waits: jump to the next deadline, or, in a
        deadlock, kill one process as a fault would."""
        if not self.k.advance_to_next_deadline():
            self.do_fault(ch)

    def do_fault(self, ch):
        """A CPU fault kills a process, whatever its tasks were doing."""
        procs = [p for p in self.k.processes.values() if p.alive]
        if procs:
            self.k.exit_process(ch.choice(procs), signal=ch.choice([4, 7, 8, 11]))

    def do_spawn(self, ch):
        if sum(p.alive for p in self.k.processes.values()) < 5:
            self.new_process(ch.choice([True, True, False]))

    def check(self):
        check_invariants(self.k, self.seen, self.retired, self.objects, self.woken)

    def finish(self):
        """Every process exits: nothing may be left."""
        k = self.k
        for proc in list(k.processes.values()):
            k.exit_process(proc, 0)
        self.check()
        assert not k.live_tasks()
        assert all(not p.handles for p in k.processes.values())
        assert not k.ports and not k.channels and not k.semaphores and not k.rings, "objects survived every process"
        assert k.ring_memory_used == 0
        assert not k.reply_waiting_on
        for obj in self.objects.values():
            assert obj.refs == 0, obj
            assert obj.destroyed or isinstance(obj, caps.Resource), f"{obj} outlived every process"
            for q in wait_queues_of(obj):
                assert not q.waiters


# -- invariants -------------------------------------------------------------------------------------

def wait_queues_of(obj) -> list:
    return [getattr(obj, name) for name in ("poll_waitq", "send_waitq", "recv_waitq", "waitq")
            if getattr(obj, name, None) is not None]


def check_invariants(k, seen: dict, retired: set, objects: dict, woken: list) -> None:
    # Handle tables: ids, objects, counts, never reused.
    present: dict[int, KernelObject] = {}
    holders: Counter = Counter()
    for pid, proc in k.processes.items():
        assert proc.pid == pid and proc.handles is not None
        if not proc.alive:
            assert not proc.handles, f"{proc} exited with handles {proc.handles}"
        assert len(proc.handles) <= k.limits.handles_per_process
        for hid, h in proc.handles.items():
            assert h.id == hid and 1 <= hid < k.next_cap_id
            assert isinstance(h.obj, KernelObject)
            if hid in present:
                assert present[hid] is h.obj, f"handle id {hid} names two objects"
            present[hid] = h.obj
            holders[id(h.obj)] += 1
            objects[id(h.obj)] = h.obj
            if h.obj.destroyed:
                # Only a port can be destroyed under a handle: its owner ended.
                assert isinstance(h.obj, Port), f"{h}: destroyed {h.obj} still reachable"
                owner = k.tasks.get(h.obj.owner)
                assert owner is None or not owner.alive, f"{h.obj} destroyed while its owner lives"
    for hid, obj in present.items():
        assert hid not in retired, f"handle id {hid} was reused"
        assert seen.setdefault(hid, obj) is obj, f"handle id {hid} now names another object"
    retired.update(hid for hid in seen if hid not in present)

    # Registries: exactly the live objects.
    for reg in (k.ports, k.channels, k.semaphores, k.rings):
        for oid, obj in reg.items():
            assert obj.id == oid and not obj.destroyed, f"{obj} destroyed but registered"
            objects[id(obj)] = obj
    for obj in objects.values():
        assert obj.refs == holders[id(obj)] == caps.live_handles(k, obj), \
            f"{obj}: refs {obj.refs}, {holders[id(obj)]} handles in the tables"
        reg = {"port": k.ports, "channel": k.channels, "semaphore": k.semaphores, "ring": k.rings}.get(obj.kind)
        if reg is None:
            continue
        if obj.destroyed:
            assert reg.get(obj.id) is not obj
            continue
        assert reg.get(obj.id) is obj, f"live {obj} missing from its registry"
        if obj.refs == 0:
            # Nothing names it: only an owned port may wait for its owner's exit.
            assert isinstance(obj, Port), f"{obj} is alive with no handle left (leaked)"
            owner = k.tasks.get(obj.owner)
            assert owner is not None and owner.alive, f"{obj} outlived its owner"
    assert k.ring_memory_used == sum(r.nbytes for r in k.rings.values())
    assert len(k.ports) + len(k.channels) + len(k.semaphores) + len(k.rings) <= k.limits.objects

    # Tasks and wait queues.
    queues = []
    for obj in objects.values():
        queues += wait_queues_of(obj)
    for task in k.tasks.values():
        queues += [task.reply_waitq, task.joiners]
    for proc in k.processes.values():
        queues.append(proc.child_waitq)
        assert proc.alive == any(t.alive for t in proc.tasks), f"{proc} alive={proc.alive} with tasks {proc.tasks}"
        for child in proc.children:
            assert child.ppid == proc.pid and k.processes.get(child.pid) is child
    where: dict[int, list] = {}
    for q in queues:
        assert len(set(map(id, q.waiters))) == len(q.waiters), f"a task is twice in {q.owner}'s queue"
        for t in q.waiters:
            where.setdefault(id(t), []).append(q)
    timers = {(deadline, id(t)) for deadline, _, t in k._timers}
    for tid, task in k.tasks.items():
        assert task.tid == tid and task in task.process.tasks
        if task.state is TaskState.BLOCKED:
            blk = task.block
            assert isinstance(blk, Block), f"{task} blocked without a Block"
            assert blk.queues or blk.deadline is not None, f"{task} blocked on nothing: {blk}"
            for q in blk.queues:
                assert any(w is task for w in q.waiters), f"{task} blocked in {blk} but not in its queue"
            assert len(where.get(id(task), [])) == len(blk.queues)
            if blk.deadline is not None:
                assert (blk.deadline, id(task)) in timers, f"{task}: deadline {blk.deadline} without a timer"
        else:
            assert id(task) not in where, f"{task} ({task.state.value}) sits in a wait queue"
            # (A task killed after being woken keeps its spent Block: harmless,
            # the scheduler never resumes a dead task.)
            if task.state is not TaskState.DEAD and task.block is not None:
                assert task in woken, f"{task} has a pending call but nobody will resume it"
    for tid in k.reply_waiting_on:
        assert tid in k.tasks and k.tasks[tid].alive, f"dead task {tid} still waits for a reply"


class KernelFuzz(RuleBasedStateMachine):
    """The driver under hypothesis: one rule, one step."""

    @initialize(unprivileged=st.integers(0, 3))
    def setup(self, unprivileged):
        self.driver = Driver(unprivileged)

    @rule(data=st.data())
    def step(self, data):
        self.driver.step(HypothesisChooser(data))

    def teardown(self):
        if hasattr(self, "driver"):
            self.driver.finish()


KernelFuzz.TestCase.settings = settings(max_examples=EXAMPLES, stateful_step_count=50, deadline=None,
                                        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                                               HealthCheck.data_too_large])
TestKernelFuzz = KernelFuzz.TestCase


def fuzz_random(seed: int, steps: int) -> int:
    """`steps` random steps from `seed` (a failure names the seed); returns
    the number of syscalls made."""
    before = STATS["calls"]
    driver = Driver(unprivileged=seed % 4)
    ch = RandomChooser(seed)
    for _ in range(steps):
        driver.step(ch)
        if not driver.k.live_tasks():
            driver.finish()
            driver = Driver(unprivileged=ch.integer(0, 3))
    driver.finish()
    return STATS["calls"] - before


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_random_long_run(seed):
    assert fuzz_random(seed, 6000) > 3000


def test_fuzz_statistics_cover_the_table():
    """The runs above reach nearly every implemented syscall (run after them)."""
    if STATS["calls"] == 0:
        pytest.skip("run with the fuzz tests")
    reached = {key.rsplit(" ", 1)[0] for key in STATS if key != "calls"}
    implemented = {sc.name for sc in TABLE if sc.status == "implemented"}
    assert len(reached & implemented) >= len(implemented) - 2, sorted(implemented - reached)

