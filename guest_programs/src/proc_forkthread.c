/*
 * proc_forkthread: fork from a multi-threaded process copies only the
 * calling thread (ABI.md section 8, SYS_PROC_FORK):
 *  - a second thread forks; in the child the one thread is the first
 *    thread (gettid == getpid), runs on in the forking thread's context
 *    (its stack, its fs base), and sees the memory as it was at the fork;
 *  - the parent's other thread is not in the child: the counter it bumps
 *    does not move there, and its tid cannot be joined there (ENOENT);
 *  - the child can create and join threads of its own;
 *  - a fault in a thread of a child kills the whole child: waitpid gives
 *    the signal number (11).
 * Parent and child print TAP; exit code = number of failed checks.
 */
#include "strat9.h"
#include "s9test.h"

#define STACK 16384
static uint8_t stacks[5][STACK] __attribute__((aligned(16)));
static uint64_t tls_main[2] = {0x1111000000000001UL, 0};
static uint64_t tls_fork[2] = {0x2222000000000002UL, 0};

static volatile long spins;
static volatile int stop_spinning;
static long spinner_tid, parent_pid;

static uint64_t read_fs0(void)
{
    uint64_t v;
    __asm__ volatile("movq %%fs:0, %0" : "=r"(v) : : "memory");
    return v;
}

static int spinner(void *arg)
{
    (void)arg;
    while (!stop_spinning) {
        spins++;
        s9_sleep_ns(500000);
    }
    return 0;
}

static int child_thread(void *arg)
{
    return (int)(uintptr_t)arg + 1;
}

static int in_child(volatile uint64_t *forker_local)
{
    s9test_count = 0;
    s9test_failed = 0;
    s9test_note("child of a fork made by a second thread");
    long pid = sys_getpid();
    CHECK_NE(pid, parent_pid);
    CHECK_EQ(sys_gettid(), pid); /* the one thread is the child's first thread */
    CHECK_EQ(sys_proc_getppid(), parent_pid);
    CHECK_EQ(read_fs0(), 0x2222000000000002UL); /* the forking thread's fs base */
    CHECK_EQ(*forker_local, 0xf0f0f0f0UL);      /* its stack, copied */
    s9test_note("the parent's other thread was not copied");
    long before = spins;
    s9_sleep_ns(5000000);
    CHECK_EQ(spins, before);
    CHECK_EQ(sys_thread_join(spinner_tid, NULL, 0), -ENOENT);
    s9test_note("the child makes a thread of its own");
    long t = s9_thread_spawn(child_thread, (void *)41, stacks[3], STACK, 0);
    CHECK_GT(t, 0);
    CHECK_NE(t, pid);
    int st = -1;
    CHECK_EQ(sys_thread_join(t, &st, 0), t);
    CHECK_EQ(st, 42);
    return s9test_done();
}

struct forker {
    long pid, wait, status;
};

static int forker(void *arg)
{
    struct forker *f = arg;
    volatile uint64_t local = 0xf0f0f0f0UL;
    long pid = sys_proc_fork();
    if (pid == 0)
        s9_exit(in_child(&local));
    f->pid = pid;
    int st = -1;
    f->wait = sys_proc_waitpid(pid, &st, 0);
    f->status = st;
    local = 0;
    return 0;
}

/* A child whose second thread faults while its first waits in join. */
static int faulter(void *arg)
{
    (void)arg;
    s9_sleep_ns(1000000);
    volatile int *volatile bad = (volatile int *)(uintptr_t)0x20;
    *bad = 7;
    return 99;
}

int main(void)
{
    static struct forker f;
    parent_pid = sys_getpid();
    CHECK_EQ(sys_arch_prctl(ARCH_SET_FS, (uint64_t)(uintptr_t)tls_main), 0);
    spinner_tid = s9_thread_spawn(spinner, NULL, stacks[0], STACK, 0);
    CHECK_GT(spinner_tid, 0);
    s9_sleep_ns(2000000); /* the spinner is running */
    long ft = s9_thread_spawn(forker, &f, stacks[1], STACK, (uint64_t)(uintptr_t)tls_fork);
    CHECK_GT(ft, 0);
    int st = -1;
    CHECK_EQ(sys_thread_join(ft, &st, 0), ft);
    CHECK_EQ(st, 0);
    s9test_note("parent: the child forked by the second thread");
    CHECK_GT(f.pid, 0);
    CHECK_EQ(f.wait, f.pid);
    CHECK_EQ(f.status, 0);
    CHECK_GT(spins, 5); /* the spinner went on here meanwhile */
    stop_spinning = 1;
    CHECK_EQ(sys_thread_join(spinner_tid, &st, 0), spinner_tid);
    CHECK_EQ(read_fs0(), 0x1111000000000001UL);

    s9test_note("parent: a fault in a child's second thread kills the child: status 11");
    long pid = sys_proc_fork();
    if (pid == 0) {
        long t = s9_thread_spawn(faulter, NULL, stacks[2], STACK, 0);
        sys_thread_join(t, NULL, 0);
        s9_exit(98); /* not reached: the fault ends the process */
    }
    CHECK_GT(pid, 0);
    st = -1;
    CHECK_EQ(sys_proc_waitpid(pid, &st, 0), pid);
    CHECK_EQ(st, 11);
    return s9test_done();
}
