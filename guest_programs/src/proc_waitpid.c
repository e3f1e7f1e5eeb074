/*
 * proc_waitpid: SYS_PROC_WAITPID (310) with SYS_PROC_FORK (302), ABI.md
 * section 8:
 *  - errors in upstream order: options with bits other than WNOHANG ->
 *    EINVAL; pid 0 or < -1 -> EINVAL; then no child at all, or pid > 0 not
 *    a child of ours (ourselves, a grandchild, a reaped child, nobody) ->
 *    ECHILD; a failed call writes no status;
 *  - the Linux status word: (code & 0xff) << 8 for an exit (codes 0, 1,
 *    42, 255, 256, 257, -1), the signal number for a fault (SIGSEGV 11,
 *    SIGILL 4, SIGFPE 8);
 *  - waitpid(pid) blocks until that child exits even when others exited
 *    before; waitpid(-1) reaps any; a reaped child is gone (ECHILD);
 *  - WNOHANG: 0 while the child lives (status untouched), its pid once
 *    exited; status_ptr 0 writes nothing.
 * Each reaped child is noted as "# reaped pid=P status=0xS" so that the
 * test can compare with the emulator's own record of the child.
 * Exit code = number of failed checks.
 */
#include "strat9.h"
#include "s9test.h"

static long me;

static long fork_exit(long code, long sleep_ns)
{
    long pid = sys_proc_fork();
    if (pid == 0) {
        if (sleep_ns)
            s9_sleep_ns(sleep_ns);
        s9_exit(code);
    }
    return pid;
}

static long fork_fault(int kind)
{
    long pid = sys_proc_fork();
    if (pid != 0)
        return pid;
    s9_sleep_ns(100000);
    if (kind == 11) {
        volatile int *volatile bad = (volatile int *)(uintptr_t)0x10;
        *bad = 1; /* SIGSEGV: a store to unmapped memory */
    } else if (kind == 4) {
        __asm__ volatile("ud2"); /* SIGILL */
    } else if (kind == 8) {
        long zero = 0;
        __asm__ volatile("xorl %%edx, %%edx\n\tmovl $1, %%eax\n\tdivq %0" : : "r"(zero) : "rax", "rdx"); /* #DE */
    }
    s9_exit(99); /* the fault did not happen */
}

static long reap(long pid, int *st, long options)
{
    long r = sys_proc_waitpid(pid, st, options);
    if (r > 0)
        s9_printf("# reaped pid=%ld status=%#x\n", r, (unsigned)*st);
    return r;
}

static void test_errors_without_children(void)
{
    int st = 0x1234;
    s9test_note("no children at all");
    CHECK_EQ(sys_proc_waitpid(-1, &st, 0), -ECHILD);
    CHECK_EQ(sys_proc_waitpid(-1, &st, WNOHANG), -ECHILD);
    CHECK_EQ(sys_proc_waitpid(-1, NULL, 0), -ECHILD);
    CHECK_EQ(sys_proc_waitpid(me, &st, 0), -ECHILD);
    CHECK_EQ(sys_proc_waitpid(99999, &st, 0), -ECHILD);
    CHECK_EQ(sys_proc_waitpid(99999, &st, WNOHANG), -ECHILD);
    s9test_note("options other than WNOHANG, pid 0 or < -1: EINVAL, before ECHILD");
    CHECK_EQ(sys_proc_waitpid(-1, &st, 2), -EINVAL);
    CHECK_EQ(sys_proc_waitpid(-1, &st, 3), -EINVAL);
    CHECK_EQ(sys_proc_waitpid(-1, &st, 0x80), -EINVAL);
    CHECK_EQ(sys_proc_waitpid(-1, &st, 0x80000000L), -EINVAL);
    CHECK_EQ(sys_proc_waitpid(99999, &st, 4), -EINVAL);
    CHECK_EQ(sys_proc_waitpid(0, &st, 0), -EINVAL);
    CHECK_EQ(sys_proc_waitpid(0, &st, WNOHANG), -EINVAL);
    CHECK_EQ(sys_proc_waitpid(-2, &st, 0), -EINVAL);
    CHECK_EQ(sys_proc_waitpid(-100, &st, WNOHANG), -EINVAL);
    CHECK_EQ(sys_proc_waitpid((long)(1UL << 63), &st, 0), -EINVAL);
    CHECK_EQ(sys_proc_waitpid(0, &st, 2), -EINVAL);
    CHECK_EQ(st, 0x1234);
}

static void test_exit_codes(void)
{
    static const long codes[] = {0, 1, 42, 255, 256, 257, -1, 0x7f00};
    static const int want[] = {0, 0x100, 0x2a00, 0xff00, 0, 0x100, 0xff00, 0};
    enum { N = sizeof codes / sizeof codes[0] };
    long pids[N];
    s9test_note("exit statuses: (code & 0xff) << 8");
    for (int i = 0; i < N; i++) {
        pids[i] = fork_exit(codes[i], 0);
        CHECK_GT(pids[i], 0);
    }
    /* reap them newest first, each by pid */
    for (int i = N - 1; i >= 0; i--) {
        int st = -1;
        CHECK_EQ(reap(pids[i], &st, 0), pids[i]);
        CHECK_EQ(st, want[i]);
        CHECK(WIFEXITED(st));
        CHECK_EQ(WEXITSTATUS(st), codes[i] & 0xff);
    }
    s9test_note("a reaped child is gone");
    int st = 0x77;
    CHECK_EQ(sys_proc_waitpid(pids[0], &st, 0), -ECHILD);
    CHECK_EQ(sys_proc_waitpid(pids[N - 1], &st, WNOHANG), -ECHILD);
    CHECK_EQ(sys_proc_waitpid(-1, &st, 0), -ECHILD);
    CHECK_EQ(st, 0x77);
}

static void test_faults(void)
{
    static const int sigs[] = {11, 4, 8};
    long pids[3];
    s9test_note("a child killed by a fault: the status is the signal number");
    for (int i = 0; i < 3; i++) {
        pids[i] = fork_fault(sigs[i]);
        CHECK_GT(pids[i], 0);
    }
    for (int i = 0; i < 3; i++) {
        int st = -1;
        CHECK_EQ(reap(pids[i], &st, 0), pids[i]);
        CHECK_EQ(st, sigs[i]);
        CHECK(WIFSIGNALED(st));
        CHECK_EQ(WTERMSIG(st), sigs[i]);
    }
}

static void test_order_and_any(void)
{
    s9test_note("waitpid(pid) waits for that child although others exited first");
    long slow = fork_exit(7, 3000000);
    long fast1 = fork_exit(8, 0);
    long fast2 = fork_exit(9, 1000000);
    CHECK_GT(slow, 0);
    CHECK_GT(fast1, 0);
    CHECK_GT(fast2, 0);
    int st = -1;
    int64_t t0 = s9_now_ns();
    CHECK_EQ(reap(slow, &st, 0), slow);
    CHECK_GE(s9_now_ns() - t0, 2000000);
    CHECK_EQ(st, 7 << 8);
    s9test_note("waitpid(-1) reaps the two that exited meanwhile, in any order");
    long got[2];
    int sts[2];
    for (int i = 0; i < 2; i++) {
        sts[i] = -1;
        got[i] = reap(-1, &sts[i], 0);
    }
    CHECK((got[0] == fast1 && got[1] == fast2) || (got[0] == fast2 && got[1] == fast1));
    for (int i = 0; i < 2; i++)
        CHECK_EQ(sts[i], got[i] == fast1 ? 8 << 8 : 9 << 8);
    CHECK_EQ(sys_proc_waitpid(-1, &st, 0), -ECHILD);

    s9test_note("waitpid(-1) blocks until the first child exits");
    long a = fork_exit(21, 2000000);
    long b = fork_exit(22, 1000000);
    st = -1;
    CHECK_EQ(reap(-1, &st, 0), b); /* b's deadline comes first */
    CHECK_EQ(st, 22 << 8);
    st = -1;
    CHECK_EQ(reap(-1, &st, 0), a);
    CHECK_EQ(st, 21 << 8);

    s9test_note("status_ptr 0: the pid, nothing written");
    long c = fork_exit(5, 0);
    CHECK_EQ(sys_proc_waitpid(c, NULL, 0), c);
    CHECK_EQ(sys_proc_waitpid(c, NULL, 0), -ECHILD);
}

static void test_wnohang(void)
{
    s9test_note("WNOHANG: 0 while the child runs, its pid once it exited");
    long sem = sys_sem_create(0);
    long pid = sys_proc_fork();
    if (pid == 0) {
        sys_sem_wait(sem);
        s9_exit(33);
    }
    CHECK_GT(pid, 0);
    int st = 0x4444;
    CHECK_EQ(sys_proc_waitpid(pid, &st, WNOHANG), 0);
    CHECK_EQ(sys_proc_waitpid(-1, &st, WNOHANG), 0);
    s9_sleep_ns(1000000);
    CHECK_EQ(sys_proc_waitpid(pid, &st, WNOHANG), 0); /* still blocked on the semaphore */
    CHECK_EQ(st, 0x4444);
    CHECK_EQ(sys_sem_post(sem), 0);
    s9_sleep_ns(1000000);
    CHECK_EQ(reap(-1, &st, WNOHANG), pid);
    CHECK_EQ(st, 33 << 8);
    CHECK_EQ(sys_proc_waitpid(-1, &st, WNOHANG), -ECHILD);
    CHECK_EQ(sys_proc_waitpid(pid, &st, WNOHANG), -ECHILD);

    s9test_note("WNOHANG on a child that exits later, then a blocking wait");
    pid = fork_exit(34, 2000000);
    st = 0x4444;
    CHECK_EQ(sys_proc_waitpid(pid, &st, WNOHANG), 0);
    CHECK_EQ(st, 0x4444);
    CHECK_EQ(reap(pid, &st, 0), pid);
    CHECK_EQ(st, 34 << 8);
    sys_sem_close(sem);
}

static uint8_t thread_stack[16384] __attribute__((aligned(16)));
static int napper(void *arg)
{
    (void)arg;
    s9_sleep_ns(1000000);
    return 3;
}

static void test_thread_is_no_child(void)
{
    s9test_note("a thread of ours is not a child process: ECHILD");
    long t = s9_thread_spawn(napper, NULL, thread_stack, sizeof thread_stack, 0);
    CHECK_GT(t, 0);
    int st = 0x66;
    CHECK_EQ(sys_proc_waitpid(t, &st, 0), -ECHILD);
    CHECK_EQ(sys_proc_waitpid(t, &st, WNOHANG), -ECHILD);
    CHECK_EQ(sys_proc_waitpid(-1, &st, 0), -ECHILD); /* no child process at all */
    CHECK_EQ(st, 0x66);
    CHECK_EQ(sys_thread_join(t, &st, 0), t);
    CHECK_EQ(st, 3);
}

static void test_grandchild(void)
{
    s9test_note("a grandchild is not our child; the child reaps it; getppid in each");
    long chan = sys_chan_create(4);
    long pid = sys_proc_fork();
    if (pid == 0) {
        long mid = sys_getpid();
        long bad = 0;
        if (sys_proc_getppid() != me)
            bad |= 1;
        if (sys_proc_waitpid(me, NULL, WNOHANG) != -ECHILD) /* our parent is not our child */
            bad |= 2;
        long gpid = sys_proc_fork();
        if (gpid == 0) {
            s9_sleep_ns(2000000);
            s9_exit(sys_proc_getppid() == mid ? 5 : 6);
        }
        IpcMessage m;
        memset(&m, 0, sizeof m);
        memcpy(m.payload, &gpid, 8);
        sys_chan_send(chan, &m);
        int st = -1;
        if (sys_proc_waitpid(gpid, &st, 0) != gpid)
            bad |= 4;
        s9_exit(bad ? 100 + bad : 60 + WEXITSTATUS(st));
    }
    CHECK_GT(pid, 0);
    IpcMessage m;
    memset(&m, 0, sizeof m);
    CHECK_EQ(sys_chan_recv(chan, &m), 0);
    CHECK_EQ(m.sender, pid);
    long gpid;
    memcpy(&gpid, m.payload, 8);
    CHECK_GT(gpid, 0);
    CHECK(gpid != pid && gpid != me);
    int st = 0x55;
    CHECK_EQ(sys_proc_waitpid(gpid, &st, 0), -ECHILD);
    CHECK_EQ(sys_proc_waitpid(gpid, &st, WNOHANG), -ECHILD);
    CHECK_EQ(st, 0x55);
    CHECK_EQ(reap(pid, &st, 0), pid);
    CHECK_EQ(st, 65 << 8); /* 60 + the grandchild's 5 */
    CHECK_EQ(sys_proc_waitpid(-1, &st, WNOHANG), -ECHILD);
    sys_chan_close(chan);
}

int main(void)
{
    me = sys_getpid();
    test_errors_without_children();
    test_exit_codes();
    test_faults();
    test_order_and_any();
    test_wnohang();
    test_grandchild();
    test_thread_is_no_child();
    return s9test_done();
}
