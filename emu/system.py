"""One emulated Strat9 system: processes, the deterministic scheduler, the
time-limit watchdog, and the run's outcome.

Scheduling (TESTBED.md): a task runs until it blocks, yields, exits or has
made SLICE_SYSCALLS syscalls; then the next runnable task in FIFO order
runs. While another task is runnable, each slice is also limited to
SLICE_BLOCKS translation blocks (a block hook in C), so a task computing
without syscalls is preempted at a point that depends on nothing but the
guest: every run is reproducible. The only runnable task runs without a
limit (with virtual time nobody else can become runnable before its next
syscall). `exact` counts SLICE_INSNS instructions instead (Unicorn's
count), in every slice, and allows `max_insns`.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, field

from unicorn import UC_MEM_FETCH_PROT, UC_MEM_FETCH_UNMAPPED, UC_MEM_READ_PROT, UC_MEM_READ_UNMAPPED
from unicorn import UC_MEM_WRITE_PROT, UC_MEM_WRITE_UNMAPPED
from unicorn import unicorn_const as UCC
from unicorn import x86_const as X

from kernel_model import EXITED, YIELD, Block, Kernel, SyscallError, TaskState
from kernel_model.limits import Limits
from kernel_model.process import Process, Task

from . import _trap, loader
from .address_space import MemoryBudget
from .console import Console
from .loader import LoadError
from .cpu import CPU, ThreadStart, privileged_sites
from .faults import SIGILL, SIGSEGV, SIGBUS, SIGNAL_NAMES, VECTOR_NAMES, VECTOR_SIGNAL, Fault, format_report

EXIT_TIMEOUT = 124
EXIT_DEADLOCK = 125
EXIT_USAGE = 2
EXIT_INTERNAL = 3

_ACCESS = {UC_MEM_READ_UNMAPPED: ("read from", "unmapped"), UC_MEM_WRITE_UNMAPPED: ("write to", "unmapped"),
           UC_MEM_FETCH_UNMAPPED: ("instruction fetch from", "unmapped"),
           UC_MEM_READ_PROT: ("read from", "unreadable"), UC_MEM_WRITE_PROT: ("write to", "read-only"),
           UC_MEM_FETCH_PROT: ("instruction fetch from", "non-executable")}
_UC_FAULTS = {UCC.UC_ERR_READ_UNMAPPED, UCC.UC_ERR_WRITE_UNMAPPED, UCC.UC_ERR_FETCH_UNMAPPED,
              UCC.UC_ERR_READ_PROT, UCC.UC_ERR_WRITE_PROT, UCC.UC_ERR_FETCH_PROT}
_UC_UNALIGNED = {UCC.UC_ERR_READ_UNALIGNED, UCC.UC_ERR_WRITE_UNALIGNED, UCC.UC_ERR_FETCH_UNALIGNED}


@dataclass
class ProcessResult:
    pid: int
    name: str
    exit_code: int | None
    signal: int | None
    report: str | None = None  # fault report, when it faulted
    state: str = "exited"  # exited, killed, blocked, runnable (when the run stopped early)

    @property
    def status(self) -> int:
        if self.signal is not None:
            return 128 + self.signal
        return self.exit_code if self.exit_code is not None else -1


@dataclass
class RunResult:
    status: int
    processes: list[ProcessResult]
    stdout: bytes
    stderr: bytes
    reason: str  # "exited", "deadlock", "timeout", "insn-limit", "internal"
    report: str = ""  # deadlock / limit / internal error report
    syscalls: int = 0
    virtual_ns: int = 0
    trace: list = field(default_factory=list)

    def process(self, pid: int) -> ProcessResult:
        return next(p for p in self.processes if p.pid == pid)


class System:
    SLICE_SYSCALLS = 64
    SLICE_BLOCKS = 50_000  # translation blocks per slice while another task is runnable
    LONE_BLOCKS = 1_000_000  # blocks run alone after which the block hook is removed
    SLICE_INSNS = 200_000  # instructions per slice in exact mode
    def __init__(self, *, tracer=None, exact: bool = False, timeout: float | None = None,
                 max_insns: int | None = None, stdout=None, stderr=None, report=None, limits: Limits | None = None):
        self.tracer = tracer
        self.limits = limits or Limits()
        self.memory = MemoryBudget(self.limits.system_memory)  # every address space draws on it
        self.exact = exact
        self.timeout = timeout
        self.max_insns = max_insns
        self.console = Console(stdout, stderr)
        self.report_stream = report  # where fault/deadlock reports go as they happen
        self.kernel = Kernel(self.console, on_wake=self._on_wake, on_task_exit=self._on_task_exit, machine=self,
                             limits=self.limits)
        self.runq: deque[Task] = deque()
        self.cpus: dict[int, CPU] = {}  # pid -> CPU
        self.reports: dict[int, str] = {}
        self._deadline = None
        self._timed_out = False
        self._watch_lock = threading.Lock()
        self._running: CPU | None = None  # for the watchdog thread
        self._slice_cpu: CPU | None = None  # the CPU running a slice, while it does
        self._since_syscall: dict[int, int] = {}  # exact mode: insns since the task's last syscall
        self._retiring: list[Process] = []  # exited processes whose CPU is still to be freed
        self._retired_syscalls = 0
        if tracer is not None:
            tracer.attach(self)

    # -- building the system ------------------------------------------------------

    def spawn(self, path: str, argv: list[str] | None = None, env: list[str] | None = None,
              admin: bool = True, name: str | None = None) -> Process:
        """Load an ELF as a new process (pids in spawn order). LoadError if unusable."""
        image = loader.load_elf(path)
        args = [a.encode() if isinstance(a, str) else a for a in (argv or [os.path.basename(path)])]
        envs = [e.encode() if isinstance(e, str) else e for e in (env or [])]
        rsp, stack = loader.build_stack(image, args, envs)
        try:
            self.kernel.check_new_process()
        except SyscallError:
            raise LoadError(f"{path}: the system holds at most {self.limits.processes} processes "
                            f"(limit 'processes')") from None
        cpu = CPU(self)
        try:
            for seg in image.segments:
                cpu.mem.map(seg.vaddr, len(seg.data), seg.prot, "image", seg.data)
            cpu.mem.map(loader.USER_STACK_BASE, loader.USER_STACK_PAGES * loader.PAGE, 3, "stack")
        except SyscallError:
            raise LoadError(f"{path}: the image does not fit the memory limits "
                            f"(process_memory {self.limits.process_memory}, system_memory "
                            f"{self.limits.system_memory})") from None
        cpu.uc.mem_write(rsp, stack)
        sites = []
        for seg in image.segments:
            if seg.prot & 4:
                # Zero bytes (bss) decode as `add [rax], al`: sweep up to the last
                # non-zero byte, plus the longest instruction that can start before it.
                code = bytes(seg.data)
                sites += privileged_sites(code[:len(code.rstrip(b"\0")) + 15], seg.vaddr)
        cpu.hook_privileged(sites)
        proc = self.kernel.spawn_process(cpu.mem, name or os.path.basename(path), admin=admin)
        task = proc.main_task
        cpu.uc.reg_write(X.UC_X86_REG_RSP, rsp)
        cpu.uc.reg_write(X.UC_X86_REG_RIP, image.entry)
        task.cpu = None  # registers live in the Uc while the process has one thread
        cpu.task = task
        self.cpus[proc.pid] = cpu
        self.runq.append(task)
        if self.tracer is not None:
            self.tracer.process_start(proc, path, args)
        return proc

    # -- kernel callbacks -------------------------------------------------------------

    def _on_wake(self, task: Task) -> None:
        self.runq.append(task)
        self._limit_running_slice()

    def _on_task_exit(self, task: Task) -> None:
        if self.tracer is not None:
            self.tracer.task_exit(task)
        proc = task.process
        if not proc.alive and all(not t.alive for t in proc.tasks):
            self._retiring.append(proc)  # its CPU may be running: freed after the slice

    def slice_over(self, cpu: CPU) -> bool:
        """Called by the syscall hook when a task used its syscall budget.
        With nobody else runnable it just goes on (no pointless restart)."""
        self.kernel.expire_timers()
        if self.runq:
            return True
        cpu.stop_at = cpu.nsys + self.SLICE_SYSCALLS
        return False

    # -- the run loop -----------------------------------------------------------------

    def run(self) -> RunResult:
        """Run until every task has exited, or a deadlock, a limit or an internal
        error; Ctrl-C (SIGINT) raises KeyboardInterrupt, even while a guest
        computes without syscalls, with the trace written so far flushed."""
        start = time.monotonic()
        if self.timeout is not None:
            self._deadline = start + self.timeout
        watchdog = threading.Thread(target=self._watchdog, name="strat9-watchdog", daemon=True)
        self._stop_watchdog = threading.Event()
        watchdog.start()
        reason, report = "exited", ""
        wakeup = _watch_sigint()
        try:
            reason, report = self._loop()
        except Exception:
            reason, report = "internal", "strat9-emu: internal error (a bug in the emulator):\n" + \
                traceback.format_exc()
        finally:
            if wakeup is not None:
                signal.set_wakeup_fd(wakeup)
            self._stop_watchdog.set()
            watchdog.join()
            if self.tracer is not None:
                self.tracer.flush()  # what the trap buffered, even if the run is interrupted
        return self._result(reason, report)

    def _loop(self) -> tuple[str, str]:
        k = self.kernel
        while True:
            if self._timed_out:  # set by the watchdog thread
                return "timeout", self._limit_report(f"time limit of {self.timeout:g} s reached")
            k.expire_timers()
            if not self.runq:
                if not any(t.alive for t in k.tasks.values()):
                    return "exited", ""
                if k.advance_to_next_deadline():
                    continue
                return "deadlock", self._deadlock_report()
            task = self.runq.popleft()
            if not task.alive or task.state is not TaskState.RUNNABLE:
                continue
            cpu = self.cpus[task.process.pid]
            if task.block is not None:  # woken: retry the call it blocked in
                r = k.resume(task)
                if self.tracer is not None:
                    self.tracer.resumed(task, r)
                if not self._settle(cpu, task, r):
                    continue
            outcome = self._run_slice(cpu, task)
            if self._retiring:
                self._retire()
            if outcome is not None:
                return outcome

    def _retire(self) -> None:
        """Free the Unicorn instance and memory of processes that exited, so
        that a long run (a fork bomb) gives host and system memory back."""
        for proc in self._retiring:
            cpu = self.cpus.pop(proc.pid, None)
            if cpu is not None:
                self._retired_syscalls += cpu.nsys
                self.memory.used -= cpu.mem.mapped_bytes
                cpu.close()
        self._retiring.clear()

    def _settle(self, cpu: CPU, task: Task, r) -> bool:
        """Act on a kernel result for `task`; True if the task may run on now."""
        if r.__class__ is int:
            self._switch_to(cpu, task)
            cpu.set_rax(r)
            return True
        if r is YIELD:
            self._switch_to(cpu, task)
            cpu.set_rax(0)
            self.runq.append(task)
            return False
        if r is EXITED or r.__class__ is Block:
            return False  # gone, or parked by the kernel until _on_wake
        raise TypeError(f"kernel returned {r!r}")

    def _switch_to(self, cpu: CPU, task: Task) -> None:
        """Load a thread's registers into its process's Uc (threads share it).
        Never on the path of a process with one thread."""
        if cpu.task is task:
            return
        prev = cpu.task
        if prev is not None and prev.alive:
            prev.cpu = cpu.save_context(prev.cpu)
        state = task.cpu
        if state.__class__ is ThreadStart:
            cpu.start_thread(state)
            task.cpu = None
        elif state is not None:
            cpu.restore_context(state)
        cpu.task = task

    # -- the Machine interface of the kernel model ----------------------------------------

    def start_thread(self, task: Task, entry: int, stack_top: int, arg0: int, tls: int) -> None:
        task.cpu = ThreadStart(entry, stack_top, arg0, tls)
        self.runq.append(task)
        self._limit_running_slice()
        if self.tracer is not None:
            self.tracer.thread_start(task, entry)

    def fork(self, parent: Task, child: Process) -> None:
        pcpu = self.cpus[parent.process.pid]
        ccpu = CPU(self)
        try:
            pcpu.mem.copy_into(ccpu.mem)
        except SyscallError:  # over a memory limit: nothing of the child may stay counted
            self.memory.used -= ccpu.mem.mapped_bytes
            ccpu.close()
            raise
        ccpu.hook_privileged(pcpu.priv_sites)
        ccpu.copy_registers_from(pcpu)
        ret_rip, rflags = pcpu.syscall_return()
        for reg, value in ((X.UC_X86_REG_RIP, ret_rip), (X.UC_X86_REG_RAX, 0), (X.UC_X86_REG_RCX, ret_rip),
                           (X.UC_X86_REG_R11, rflags)):
            ccpu.uc.reg_write(reg, value)
        child.memory = ccpu.mem
        ccpu.task = child.main_task
        self.cpus[child.pid] = ccpu
        self.runq.append(child.main_task)
        self._limit_running_slice()
        if self.tracer is not None:
            self.tracer.process_start(child, None, None)

    def _limit_running_slice(self) -> None:
        """A task became runnable (woken, created or forked) while the running
        one has a slice without a block limit, because nobody else could run:
        the rest of the slice gets one, SLICE_BLOCKS from now (a task that now
        spins on shared memory must not starve the other). Without the block
        hook, the run stops after this syscall to install it and goes on with
        the same slice. Exact mode limits every slice anyway."""
        cpu = self._slice_cpu
        if cpu is None or self.exact or not cpu.lone_slice:
            return
        cpu.lone_slice = False
        if cpu.counted:
            cpu.trap.blocks_left = self.SLICE_BLOCKS
        elif not cpu.arm_limit:
            cpu.arm_limit = True
            cpu.slice_stop_at = cpu.stop_at
            cpu.stop_at = 0

    def get_fs_base(self, task: Task) -> int:
        return self.cpus[task.process.pid].uc.reg_read(X.UC_X86_REG_FS_BASE)

    def set_fs_base(self, task: Task, value: int) -> None:
        self.cpus[task.process.pid].uc.reg_write(X.UC_X86_REG_FS_BASE, value)

    def get_gs_base(self, task: Task) -> int:
        return self.cpus[task.process.pid].uc.reg_read(X.UC_X86_REG_GS_BASE)

    def set_gs_base(self, task: Task, value: int) -> None:
        self.cpus[task.process.pid].uc.reg_write(X.UC_X86_REG_GS_BASE, value)

    def _run_slice(self, cpu: CPU, task: Task):
        self._switch_to(cpu, task)
        trap = cpu.trap
        # With virtual time nobody becomes runnable while this task runs without
        # a syscall: it needs a limited slice only if another task is runnable
        # now (one woken later limits the slice then: _limit_running_slice).
        limited = self.exact or self._others_runnable(task)
        if limited and not cpu.counted:
            self._add_slice_limit(cpu)
        cpu.stop_at = cpu.nsys + self.SLICE_SYSCALLS
        cpu.lone_slice = not limited
        cpu.arm_limit = False
        self._slice_cpu = cpu
        while True:
            count = self.SLICE_INSNS if cpu.counted and self.exact else 0
            if self.max_insns is not None:
                count = min(count, self.max_insns - self._since_syscall.get(task.tid, 0))
            if self.exact or not cpu.counted:
                trap.blocks_left = 0
            else:
                # Alone, the hook only measures: after LONE_BLOCKS it goes (below).
                trap.blocks_left = self.LONE_BLOCKS if cpu.lone_slice else self.SLICE_BLOCKS
            trap.preempted = False
            if self._deadline is None:  # no watchdog thread to talk to
                err = cpu.run(count)
            else:
                with self._watch_lock:
                    self._running = cpu
                err = cpu.run(count)
                with self._watch_lock:
                    self._running = None
            if trap.interrupted:  # Ctrl-C (the Python handler may already have raised)
                raise KeyboardInterrupt
            reason = cpu.stop_reason or cpu.preempt  # a hook's reason wins over the watchdog's
            if reason == "budget" and self.exact:
                # Exact mode stops after every syscall so that instructions run
                # without a syscall are counted exactly (--max-insns).
                self._since_syscall[task.tid] = 0
                if cpu.nsys < cpu.stop_at or not self.slice_over(cpu):
                    continue
            elif reason == "arm":  # install the block hook and go on with this slice
                cpu.arm_limit = False
                cpu.stop_at = cpu.slice_stop_at
                self._add_slice_limit(cpu)
                if cpu.nsys < cpu.stop_at or not self.slice_over(cpu):
                    continue
                reason = "budget"
            elif trap.preempted and cpu.lone_slice and not reason and not err:
                # LONE_BLOCKS run with nobody else runnable: this task computes alone
                # for long stretches, and the hook's call in every block costs more
                # than translating its code again (Unicorn invalidates the blocks
                # that call it). Go on at full speed; a task woken later brings it back.
                trap.uncount_blocks()
                cpu.counted = False
                continue
            break
        self._slice_cpu = None
        if err:
            return self._uc_error(cpu, task, err)
        if reason == "budget":
            self.runq.append(task)
        elif reason == "kernel":
            self._settle(cpu, task, cpu.pending)
        elif reason == "intr":
            self._vector_fault(cpu, task, cpu.pending)
        elif reason == "privileged":
            self._fault(cpu, task, SIGSEGV, "privileged instruction (#GP)", cpu.rip())
        elif reason == "timeout":
            self.runq.appendleft(task)
            self._timed_out = True
        elif reason == "internal":
            exc = cpu.pending
            if isinstance(exc, KeyboardInterrupt):  # Ctrl-C seen at a syscall: the user's, not a bug
                raise exc
            raise RuntimeError(f"syscall handling failed: {exc!r}") from exc
        elif count or trap.preempted:  # the slice's instructions or blocks ran out
            if self.exact:
                used = self._since_syscall.get(task.tid, 0) + count
                self._since_syscall[task.tid] = used
                if self.max_insns is not None and used >= self.max_insns:
                    self.runq.appendleft(task)
                    return "insn-limit", self._limit_report(
                        f"task {task.tid} ran {used} instructions without a syscall (--max-insns {self.max_insns})")
            if self.tracer is not None:
                self.tracer.preempted(task, "insns" if count else "blocks")
            self.runq.append(task)
        else:
            rip = cpu.rip()
            if cpu.code_at(rip - 1, 1) == b"\xf4":  # Unicorn ends emulation on hlt
                self._fault(cpu, task, SIGSEGV, "privileged instruction hlt (#GP)", rip - 1)
            else:
                self._fault(cpu, task, SIGSEGV, "emulation stopped unexpectedly", rip)
        return None

    def _add_slice_limit(self, cpu: CPU) -> None:
        """The hook that limits slices: SLICE_BLOCKS translation blocks (a block
        hook in C), or in exact mode SLICE_INSNS instructions (Unicorn's count,
        a hook on every instruction, for good). Either is only called by code
        translated after it exists: start afresh."""
        cpu.counted = True
        if not self.exact:
            cpu.trap.count_blocks()
        if cpu.ran:
            cpu.uc.ctl_flush_tb()

    def _others_runnable(self, task: Task) -> bool:
        return any(t is not task and t.state is TaskState.RUNNABLE for t in self.runq)

    # -- faults ---------------------------------------------------------------------------

    def _uc_error(self, cpu: CPU, task: Task, err: int):
        rip = cpu.rip()
        rsp = cpu.uc.reg_read(X.UC_X86_REG_RSP)
        if err == UCC.UC_ERR_FETCH_PROT and cpu.bad_access is None:
            # No fault hook covers the read-write regions (see CPU.__init__): a jump
            # into one is a fetch from non-executable memory at the rip.
            cpu.bad_access = (UC_MEM_FETCH_PROT, rip, 1)
        if err in _UC_FAULTS and not _canonical(rsp):
            # Unicorn keeps only 48 address bits; the CPU raises #SS for a
            # non-canonical stack address, which Linux delivers as SIGBUS.
            self._fault(cpu, task, SIGBUS, f"stack-segment fault (#SS): non-canonical rsp {rsp:#x}", rip)
        elif err in _UC_FAULTS and cpu.bad_access is not None:
            access, addr, size = cpu.bad_access
            verb, kind = _ACCESS.get(access, ("access to", "invalid"))
            what = f"{verb} {kind} memory at {addr:#x} ({size} bytes)"
            self._fault(cpu, task, SIGSEGV, what, rip, addr)
        elif err == UCC.UC_ERR_INSN_INVALID:
            self._fault(cpu, task, SIGILL, "invalid opcode (#UD)", rip)
        elif err in _UC_UNALIGNED:
            self._fault(cpu, task, SIGBUS, "misaligned access", rip)
        elif err == UCC.UC_ERR_EXCEPTION:
            self._fault(cpu, task, SIGSEGV, "unhandled CPU exception", rip)
        else:
            self._fault(cpu, task, SIGSEGV, f"emulation error {err}", rip)
        return None

    def _vector_fault(self, cpu: CPU, task: Task, vector: int) -> None:
        sig = VECTOR_SIGNAL.get(vector, SIGSEGV)
        what = VECTOR_NAMES.get(vector, f"interrupt {vector:#x} (#GP: no user gate)")
        self._fault(cpu, task, sig, what, cpu.rip() - (1 if vector in (1, 3) else 0))

    def _fault(self, cpu: CPU, task: Task, sig: int, what: str, rip: int, addr: int | None = None) -> None:
        self._switch_to(cpu, task)
        regs = cpu.registers()
        regs["rip"] = rip
        fault = Fault(sig, what, rip, cpu.code_at(rip), regs, addr)
        proc = task.process
        text = format_report(proc.pid, task.tid, proc.name, fault)
        self.reports[proc.pid] = text
        if self.report_stream is not None:
            print(text, file=self.report_stream, flush=True)
        if self.tracer is not None:
            self.tracer.fault(task, fault)
        self.kernel.exit_process(proc, signal=sig)

    # -- watchdog -----------------------------------------------------------------------

    def _watchdog(self) -> None:
        """Enforce --timeout. Unicorn's uc_emu_stop from another thread may land
        just after a memory access and re-run that instruction on resume
        (unicorn issue #1355), so it is used only to end the run, never to
        preempt: preemption is by block or instruction count (see _run_slice)."""
        if self._deadline is None:
            return
        while not self._stop_watchdog.wait(0.01):
            if time.monotonic() < self._deadline:
                continue
            with self._watch_lock:
                cpu = self._running
                if cpu is not None:
                    cpu.preempt = "timeout"
                    cpu.stop()
                self._timed_out = True

    # -- reports --------------------------------------------------------------------------

    def _task_line(self, t: Task) -> str:
        sig = t.process.signal
        if t.alive:
            what = t.block.what if t.state is TaskState.BLOCKED and t.block else t.state.value
        elif sig is not None and t.exit_code == 128 + sig:
            what = f"killed by {SIGNAL_NAMES.get(sig, f'signal {sig}')}"
        else:
            what = f"exited with {t.exit_code}"
        return f"  task {t.tid} (pid {t.process.pid}, {t.process.name}): {what}"

    def _deadlock_report(self) -> str:
        lines = ["strat9-emu: deadlock: every live task is blocked and no timer is pending"]
        lines += [self._task_line(t) for t in self.kernel.tasks.values()]  # the ended ones too
        return "\n".join(lines)

    def _limit_report(self, why: str) -> str:
        lines = [f"strat9-emu: stopped: {why}"]
        lines += [self._task_line(t) for t in self.kernel.tasks.values()]  # the ended ones too
        return "\n".join(lines)

    def _result(self, reason: str, report: str) -> RunResult:
        procs = []
        for pid, proc in sorted(self.kernel.processes.items()):
            if proc.alive:
                states = {t.state for t in proc.tasks if t.alive}
                state = "blocked" if states == {TaskState.BLOCKED} else "runnable"
            else:
                state = "killed" if proc.signal is not None else "exited"
            procs.append(ProcessResult(pid, proc.name, proc.exit_code, proc.signal, self.reports.get(pid), state))
        if report and self.report_stream is not None:
            print(report, file=self.report_stream, flush=True)
        if reason == "exited":
            status = 0
            for p in procs:
                if p.signal is not None:
                    status = 128 + p.signal
                    break
                if p.exit_code:
                    status = (p.exit_code & 0xFF) or 1
                    break
        else:
            status = {"deadlock": EXIT_DEADLOCK, "timeout": EXIT_TIMEOUT, "insn-limit": EXIT_TIMEOUT}.get(
                reason, EXIT_INTERNAL)
        if self.tracer is not None:
            self.tracer.run_end(reason, status)
        return RunResult(status, procs, self.console.output(1), self.console.output(2), reason, report,
                         self._retired_syscalls + sum(c.nsys for c in self.cpus.values()), self.kernel.now_ns,
                         self.tracer.events if self.tracer is not None else [])


_sigint_pipe: int | None = None  # the write end of the pipe _trap watches


def _watch_sigint() -> int | None:
    """Have SIGINT stop a running engine (see watch_signals in emu/_trap.c):
    point Python's wakeup fd at the watched pipe for the run. Returns the
    previous wakeup fd to restore, or None when not in the main thread or
    when another wakeup fd is in use (an event loop's), which is kept."""
    global _sigint_pipe
    if threading.current_thread() is not threading.main_thread():
        return None
    if _sigint_pipe is None:
        r, w = os.pipe()
        os.set_blocking(w, False)
        _trap.watch_signals(r)
        _sigint_pipe = w
    old = signal.set_wakeup_fd(_sigint_pipe, warn_on_full_buffer=False)
    if old != -1 and old != _sigint_pipe:
        signal.set_wakeup_fd(old)
        return None
    return old


def _canonical(addr: int) -> bool:
    return addr < 1 << 47 or addr >= (1 << 64) - (1 << 47)


def run(paths: list[str], **kwargs) -> RunResult:
    """Convenience: spawn each ELF in order and run the system."""
    unprivileged = kwargs.pop("unprivileged", ())
    system = System(**kwargs)
    for i, path in enumerate(paths, 1):
        system.spawn(path, admin=i not in unprivileged)
    return system.run()
