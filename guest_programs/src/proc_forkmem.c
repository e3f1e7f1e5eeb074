/*
 * proc_forkmem: what fork copies and what it shares (ABI.md section 8):
 * private memory (globals, the stack, MAP_PRIVATE mappings) is copied at
 * the fork; MAP_SHARED|MAP_ANONYMOUS mappings and shared-ring mappings
 * stay shared, in both directions, at the same addresses. An munmap in the
 * child leaves the parent's mappings alone; a mapping made by the parent
 * after the fork does not appear in the child.
 *
 * Mode "spin": parent and child wait for each other through a MAP_SHARED
 * page without syscalls (slice preemption between processes).
 *
 * Parent and child run in lock-step over two inherited semaphores; both
 * print TAP (the child resets its copied counters).
 * Exit code = number of failed checks (the parent checks the child's
 * status too).
 */
#include "strat9.h"
#include "s9test.h"

#define PAGE 4096UL

static volatile uint64_t global_word = 1;
static long to_child, to_parent;

static volatile uint64_t *W(long addr, int i) { return (volatile uint64_t *)(uintptr_t)addr + i; }

static int child(long priv, long shared, long ring, volatile uint64_t *stack_word)
{
    s9test_count = 0;
    s9test_failed = 0;
    s9test_note("child: the values of the fork, at the same addresses");
    CHECK_EQ(global_word, 1);
    CHECK_EQ(*stack_word, 2);
    CHECK_EQ(*W(priv, 0), 3);
    CHECK_EQ(*W(shared, 0), 4);
    CHECK_EQ(*W(ring, 0), 5);
    CHECK_EQ(*W(shared, 511), 0x5151); /* the last word of the first shared page */
    s9test_note("child: write everywhere");
    global_word = 11;
    *stack_word = 12;
    *W(priv, 0) = 13;
    *W(shared, 0) = 14;
    *W(ring, 0) = 15;
    *W(shared, PAGE / 8) = 16; /* second page of the shared mapping */
    CHECK_EQ(sys_sem_post(to_parent), 0);
    CHECK_EQ(sys_sem_wait(to_child), 0);

    s9test_note("child: the parent's later writes: shared ones seen, private ones not");
    CHECK_EQ(global_word, 11);
    CHECK_EQ(*stack_word, 12);
    CHECK_EQ(*W(priv, 1), 0);
    CHECK_EQ(*W(shared, 1), 24);
    CHECK_EQ(*W(ring, 1), 25);
    s9test_note("child: the parent's mapping made after the fork is not here");
    long late = (long)*W(shared, 4); /* its address, passed through shared memory */
    CHECK_GT(late, 0);
    CHECK_EQ(sys_clock_gettime(CLOCK_MONOTONIC, (TimeSpec *)(uintptr_t)late), -EFAULT);

    s9test_note("child: unmap the private and shared mappings here");
    CHECK_EQ(sys_munmap((void *)(uintptr_t)priv, 2 * PAGE), 0);
    CHECK_EQ(sys_munmap((void *)(uintptr_t)shared, 2 * PAGE), 0);
    CHECK_EQ(sys_clock_gettime(CLOCK_MONOTONIC, (TimeSpec *)(uintptr_t)shared), -EFAULT);
    CHECK_EQ(sys_sem_post(to_parent), 0);
    return s9test_done();
}

/* Parent and child wait for each other through a shared mapping without
 * any syscall: only the slice preemption lets them through. */
static volatile unsigned long spin_sink;

static int run_spin(void)
{
    long s = sys_mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (s < 0)
        return 101;
    volatile uint64_t *flag = W(s, 0), *ack = W(s, 1);
    long pid = sys_proc_fork();
    if (pid == 0) {
        while (!*flag) /* no syscall */
            ;
        *ack = 1;
        s9_exit(0);
    }
    unsigned long x = 0;
    for (unsigned long i = 0; i < 3000000; i++) /* no syscall: a long computation */
        x += i ^ (x >> 3);
    spin_sink = x; /* keeps the computation */
    *flag = 1;
    while (!*ack) /* no syscall either */
        ;
    int st = -1;
    long w = sys_proc_waitpid(pid, &st, 0);
    s9_printf("# proc_forkmem: parent and child got through (waitpid %s, status %d)\n",
              w == pid ? "ok" : "FAILED", st);
    return w == pid && st == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "spin") == 0)
        return run_spin();
    volatile uint64_t stack_word = 2;
    long priv = sys_mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    long shared = sys_mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK_GE(priv, (long)S9_MAP_BASE);
    CHECK_GE(shared, (long)S9_MAP_BASE);
    long rh = sys_ipc_ring_create(PAGE);
    uint64_t ring = 0;
    CHECK_EQ(sys_ipc_ring_map(rh, &ring), (long)PAGE);
    to_child = sys_sem_create(0);
    to_parent = sys_sem_create(0);
    *W(priv, 0) = 3;
    *W(shared, 0) = 4;
    *W(shared, 511) = 0x5151;
    *W((long)ring, 0) = 5;

    long pid = sys_proc_fork();
    if (pid == 0)
        return child(priv, shared, (long)ring, &stack_word);
    CHECK_GT(pid, 0);
    long late = sys_mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK_GT(late, 0);
    TimeSpec *ts = (TimeSpec *)(uintptr_t)late;
    CHECK_EQ(sys_clock_gettime(CLOCK_MONOTONIC, ts), 0); /* mapped here */
    CHECK_EQ(sys_sem_wait(to_parent), 0);

    s9test_note("parent: private memory kept its values; shared memory shows the child's writes");
    CHECK_EQ(global_word, 1);
    CHECK_EQ(stack_word, 2);
    CHECK_EQ(*W(priv, 0), 3);
    CHECK_EQ(*W(shared, 0), 14);
    CHECK_EQ(*W(ring, 0), 15);
    CHECK_EQ(*W(shared, PAGE / 8), 16);
    s9test_note("parent: write again, for the child to look");
    global_word = 21;
    stack_word = 22;
    *W(priv, 1) = 23;
    *W(shared, 1) = 24;
    *W(ring, 1) = 25;
    *W(shared, 4) = (uint64_t)late;
    CHECK_EQ(sys_sem_post(to_child), 0);
    CHECK_EQ(sys_sem_wait(to_parent), 0);

    s9test_note("parent: the child's munmap left our mappings alone");
    CHECK_EQ(*W(priv, 0), 3);
    CHECK_EQ(*W(priv, 1), 23);
    CHECK_EQ(*W(shared, 0), 14);
    CHECK_EQ(*W(shared, PAGE / 8), 16);
    *W(shared, 2) = 26;
    CHECK_EQ(*W(shared, 2), 26);
    int st = -1;
    CHECK_EQ(sys_proc_waitpid(pid, &st, 0), pid);
    CHECK_EQ(st, 0);
    s9test_note("parent: the shared mapping outlives the child");
    CHECK_EQ(*W(shared, 0), 14);
    *W(shared, 3) = 27;
    CHECK_EQ(*W(shared, 3), 27);
    CHECK_EQ(*W(ring, 0), 15);
    return s9test_done();
}
