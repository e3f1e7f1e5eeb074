/*
 * proc_threads: threads and the fs base, ABI.md section 8 rows 341-343 and
 * 350 (SYS_THREAD_CREATE, SYS_THREAD_JOIN, SYS_THREAD_EXIT, SYS_ARCH_PRCTL).
 *
 * Default mode (no argument), exit code = number of failed checks:
 *  - thread_create errors: flags != 0, entry or stack_top 0 or >= 2^47,
 *    stack_top not 16-aligned -> EINVAL, and no thread is started;
 *  - a thread starts at entry with rdi = arg0, rsp = stack_top exactly and
 *    fs base = tls (checked by an assembly entry that reads %fs:0);
 *  - tids are fresh, differ from the pid; getpid in a thread is the pid;
 *  - join returns the tid and writes the raw exit code (not a wait status);
 *    join errors: flags != 0, tid > u32 max, own tid -> EINVAL; unknown tid,
 *    a thread created by another thread, a second join -> ENOENT;
 *  - thread_exit(code) with code >= 2^31 -> EINVAL and the thread goes on;
 *  - arch_prctl: ARCH_SET_FS / ARCH_GET_FS, EFAULT, EINVAL; fs is per thread,
 *    across many switches and after a thread changes its own;
 *  - IpcMessage.sender is the sending thread's tid.
 *
 * Other modes (argv[1]), for the process-wide exits:
 *   procexit    main returns 3 while one thread is blocked and one sleeps:
 *               the process ends with 3
 *   groupexit   a thread calls SYS_EXIT_GROUP(9) while main waits in join
 *   threadexit  a thread calls SYS_PROC_EXIT(12) while main is blocked
 *   lastexit    main calls SYS_THREAD_EXIT(4); the other thread goes on and
 *               its SYS_THREAD_EXIT(6), the last one, ends the process with 6
 *   spin        two threads wait for each other without syscalls: the
 *               slice preemption must switch between them
 */
#include "strat9.h"
#include "s9test.h"

#define XSTR(x) #x
#define STR(x) XSTR(x)
#define BAD_HIGH ((void *)0xdead0000UL)
extern const unsigned char __ehdr_start[];
#define READ_ONLY ((uint64_t)(uintptr_t)__ehdr_start)

#define STACK_SIZE 16384
static uint8_t stacks[6][STACK_SIZE] __attribute__((aligned(16)));

static long mypid;

/* ---------------------------------------------------------------------- */
/* A thread entry in assembly: records rdi, rsp and %fs:0 exactly as the   */
/* kernel left them, then ARCH_GET_FS, gettid and getpid, and exits 77.    */

__attribute__((used)) volatile uint64_t proc_raw_rec[8];

__asm__(".text\n"
        ".globl proc_raw_entry\n"
        ".type proc_raw_entry, @function\n"
        "proc_raw_entry:\n"
        "    movq %rdi, proc_raw_rec+0(%rip)\n"
        "    movq %rsp, proc_raw_rec+8(%rip)\n"
        "    movq %fs:0, %rax\n"
        "    movq %rax, proc_raw_rec+16(%rip)\n"
        "    movl $" STR(SYS_ARCH_PRCTL) ", %eax\n"
        "    movl $0x1003, %edi\n"
        "    leaq proc_raw_rec+24(%rip), %rsi\n"
        "    syscall\n"
        "    movq %rax, proc_raw_rec+32(%rip)\n"
        "    movl $" STR(SYS_GETTID) ", %eax\n"
        "    syscall\n"
        "    movq %rax, proc_raw_rec+40(%rip)\n"
        "    movl $" STR(SYS_GETPID) ", %eax\n"
        "    syscall\n"
        "    movq %rax, proc_raw_rec+48(%rip)\n"
        "    incq proc_raw_rec+56(%rip)\n"
        "    movl $" STR(SYS_THREAD_EXIT) ", %eax\n"
        "    movl $77, %edi\n"
        "    syscall\n"
        "    ud2\n"
        ".size proc_raw_entry, . - proc_raw_entry\n");
void proc_raw_entry(void);

static uint64_t top_of(int i) { return (uint64_t)(uintptr_t)(stacks[i] + STACK_SIZE); }

static uint64_t read_fs0(void)
{
    uint64_t v;
    __asm__ volatile("movq %%fs:0, %0" : "=r"(v) : : "memory");
    return v;
}

static uint64_t get_fs(void)
{
    uint64_t v = 0xbad;
    if (sys_arch_prctl(ARCH_GET_FS, (uint64_t)(uintptr_t)&v) != 0)
        return 0xbad;
    return v;
}

/* TLS blocks: %fs:0 reads the first word. */
static uint64_t tls_a[4] = {0x7153000000000a11UL, 1, 2, 3};
static uint64_t tls_b[4] = {0x7153000000000b22UL, 4, 5, 6};
static uint64_t tls_c[4] = {0x7153000000000c33UL, 7, 8, 9};

static void test_create_errors(void)
{
    uint64_t entry = (uint64_t)(uintptr_t)proc_raw_entry, top = top_of(0);
    s9test_note("SYS_THREAD_CREATE errors: flags, entry, stack_top (0, >= 2^47, not 16-aligned) -> EINVAL");
    CHECK_EQ(sys_thread_create(entry, top, 0, 1, 0), -EINVAL);
    CHECK_EQ(sys_thread_create(entry, top, 0, 0x100, 0), -EINVAL);
    CHECK_EQ(sys_thread_create(entry, top, 0, 1UL << 63, 0), -EINVAL);
    CHECK_EQ(sys_thread_create(0, top, 0, 0, 0), -EINVAL);
    CHECK_EQ(sys_thread_create(entry, 0, 0, 0, 0), -EINVAL);
    CHECK_EQ(sys_thread_create(0, 0, 0, 0, 0), -EINVAL);
    CHECK_EQ(sys_thread_create(1UL << 47, top, 0, 0, 0), -EINVAL);
    CHECK_EQ(sys_thread_create(0xffffffff80000000UL, top, 0, 0, 0), -EINVAL);
    CHECK_EQ(sys_thread_create(entry, 1UL << 47, 0, 0, 0), -EINVAL);
    CHECK_EQ(sys_thread_create(entry, 0xfffffffffffff000UL, 0, 0, 0), -EINVAL);
    CHECK_EQ(sys_thread_create(entry, top - 8, 0, 0, 0), -EINVAL);
    CHECK_EQ(sys_thread_create(entry, top - 1, 0, 0, 0), -EINVAL);
    CHECK_EQ(sys_thread_create(entry, top - 4, 0, 0, 0), -EINVAL);
    sys_proc_yield();
    s9_sleep_ns(1000000);
    CHECK_EQ(proc_raw_rec[7], 0); /* none of them started a thread */
}

static void test_raw_entry(void)
{
    s9test_note("a new thread starts at entry with rdi = arg0, rsp = stack_top, fs base = tls");
    uint64_t top = top_of(0);
    long tid = sys_thread_create((uint64_t)(uintptr_t)proc_raw_entry, top, 0x1122334455667788UL, 0,
                                 (uint64_t)(uintptr_t)tls_a);
    CHECK_GT(tid, 0);
    CHECK_NE(tid, mypid);
    int st = -12345;
    long j = sys_thread_join(tid, &st, 0);
    CHECK_EQ(j, tid);
    CHECK_EQ(st, 77); /* the raw code, not 77 << 8 */
    CHECK_EQ(proc_raw_rec[7], 1);
    CHECK_EQ(proc_raw_rec[0], 0x1122334455667788UL);
    CHECK(proc_raw_rec[1] == top); /* rsp exactly stack_top */
    CHECK_EQ(proc_raw_rec[2], 0x7153000000000a11UL); /* %fs:0 = tls_a[0] */
    CHECK_EQ(proc_raw_rec[4], 0);                    /* ARCH_GET_FS returned 0 */
    CHECK(proc_raw_rec[3] == (uint64_t)(uintptr_t)tls_a);
    CHECK_EQ(proc_raw_rec[5], tid);    /* gettid in the thread */
    CHECK_EQ(proc_raw_rec[6], mypid);  /* getpid in the thread */
    CHECK_EQ(sys_thread_join(tid, &st, 0), -ENOENT); /* joined already */

    s9test_note("a second raw thread on the same stack, another arg0 and tls");
    proc_raw_rec[2] = 0;
    tid = sys_thread_create((uint64_t)(uintptr_t)proc_raw_entry, top, 0, 0, (uint64_t)(uintptr_t)tls_b);
    CHECK_GT(tid, 0);
    st = -1;
    j = sys_thread_join(tid, &st, 0);
    CHECK_EQ(j, tid);
    CHECK_EQ(st, 77);
    CHECK_EQ(proc_raw_rec[7], 2);
    CHECK_EQ(proc_raw_rec[0], 0);
    CHECK_EQ(proc_raw_rec[2], 0x7153000000000b22UL);
    CHECK_EQ(proc_raw_rec[5], tid);
}

/* ---------------------------------------------------------------------- */
/* C threads through s9_thread_spawn.                                      */

struct tinfo {
    int code;         /* what the thread returns */
    long sleep_ns;    /* before returning */
    long tid, pid;
    uint64_t arg_seen;
    uint64_t fs0, fs_base;
    uintptr_t local_addr;
    long exit_big, exit_neg, exit_u32; /* thread_exit with codes that do not fit i32 */
    int done;
};

static int worker(void *arg)
{
    struct tinfo *t = arg;
    volatile int local = 0;
    t->arg_seen = (uint64_t)(uintptr_t)arg;
    t->tid = sys_gettid();
    t->pid = sys_getpid();
    t->local_addr = (uintptr_t)&local;
    t->fs_base = get_fs();
    t->fs0 = t->fs_base ? read_fs0() : 0;
    t->exit_big = sys_thread_exit(1UL << 31);
    t->exit_neg = sys_thread_exit((long)-1);
    t->exit_u32 = sys_thread_exit(1UL << 32);
    if (t->sleep_ns)
        s9_sleep_ns(t->sleep_ns);
    t->done = 1;
    return t->code;
}

static int in_stack(uintptr_t p, int i)
{
    return p >= (uintptr_t)stacks[i] && p < (uintptr_t)(stacks[i] + STACK_SIZE);
}

static void test_c_threads(void)
{
    static struct tinfo ti[3];
    long tid[3];
    s9test_note("three threads: arg, stack, tls, tids, exit codes through join");
    CHECK_EQ(sys_arch_prctl(ARCH_SET_FS, (uint64_t)(uintptr_t)tls_c), 0);
    memset(ti, 0, sizeof ti);
    ti[0].code = 0;
    ti[1].code = 5;
    ti[1].sleep_ns = 2000000; /* main's join blocks on this one */
    ti[2].code = 0x7fffffff;
    tid[0] = s9_thread_spawn(worker, &ti[0], stacks[1], STACK_SIZE, (uint64_t)(uintptr_t)tls_a);
    tid[1] = s9_thread_spawn(worker, &ti[1], stacks[2], STACK_SIZE, (uint64_t)(uintptr_t)tls_b);
    tid[2] = s9_thread_spawn(worker, &ti[2], stacks[3], STACK_SIZE, 0);
    CHECK_GT(tid[0], 0);
    CHECK_GT(tid[1], 0);
    CHECK_GT(tid[2], 0);
    CHECK(tid[0] != tid[1] && tid[1] != tid[2] && tid[0] != tid[2]);
    CHECK(tid[0] != mypid && tid[1] != mypid && tid[2] != mypid);

    s9test_note("join errors while the threads live");
    int st = -7;
    CHECK_EQ(sys_thread_join(tid[1], &st, 1), -EINVAL);
    CHECK_EQ(sys_thread_join(tid[1], &st, 0x80), -EINVAL);
    CHECK_EQ(sys_thread_join(mypid, &st, 0), -EINVAL); /* own tid */
    CHECK_EQ(sys_thread_join(mypid, &st, 1), -EINVAL);
    CHECK_EQ(sys_thread_join((long)(1UL << 32), &st, 0), -EINVAL);
    CHECK_EQ(sys_thread_join((long)((1UL << 32) + (unsigned long)tid[1]), &st, 0), -EINVAL); /* not truncated */
    CHECK_EQ(sys_thread_join(-1, &st, 0), -EINVAL);
    CHECK_EQ(sys_thread_join(0, &st, 0), -ENOENT);
    CHECK_EQ(sys_thread_join(99999, &st, 0), -ENOENT);
    CHECK_EQ(sys_thread_join(0xffffffffL, &st, 0), -ENOENT);
    CHECK_EQ(st, -7); /* no error wrote the status */

    s9test_note("join in reverse order: raw exit codes 0x7fffffff, 5 (after blocking), 0");
    st = -7;
    CHECK_EQ(sys_thread_join(tid[2], &st, 0), tid[2]);
    CHECK_EQ(st, 0x7fffffff);
    st = -7;
    CHECK_EQ(sys_thread_join(tid[1], &st, 0), tid[1]);
    CHECK_EQ(st, 5);
    CHECK_EQ(ti[1].done, 1);
    CHECK_EQ(sys_thread_join(tid[0], NULL, 0), tid[0]); /* status_ptr 0: nothing written */
    CHECK_EQ(sys_thread_join(tid[0], &st, 0), -ENOENT);
    CHECK_EQ(sys_thread_join(tid[1], &st, 0), -ENOENT);
    CHECK_EQ(sys_thread_join(tid[2], NULL, 0), -ENOENT);
    CHECK_EQ(st, 5);

    for (int i = 0; i < 3; i++) {
        s9test_note("thread %d", i);
        CHECK_EQ(ti[i].done, 1);
        CHECK(ti[i].arg_seen == (uint64_t)(uintptr_t)&ti[i]);
        CHECK_EQ(ti[i].tid, tid[i]);
        CHECK_EQ(ti[i].pid, mypid);
        CHECK(in_stack(ti[i].local_addr, i + 1));
        CHECK_EQ(ti[i].exit_big, -EINVAL);
        CHECK_EQ(ti[i].exit_neg, -EINVAL);
        CHECK_EQ(ti[i].exit_u32, -EINVAL);
    }
    CHECK(ti[0].fs_base == (uint64_t)(uintptr_t)tls_a);
    CHECK_EQ(ti[0].fs0, 0x7153000000000a11UL);
    CHECK(ti[1].fs_base == (uint64_t)(uintptr_t)tls_b);
    CHECK_EQ(ti[1].fs0, 0x7153000000000b22UL);
    CHECK_EQ(ti[2].fs_base, 0); /* tls 0: fs base 0, not the creator's */

    s9test_note("the main thread's fs base is its own");
    CHECK(get_fs() == (uint64_t)(uintptr_t)tls_c);
    CHECK_EQ(read_fs0(), 0x7153000000000c33UL);
}

/* A thread that creates a grandchild thread: only its creator may join it. */
struct nest {
    long sem_go;          /* posted by main once it has tried to join */
    volatile long inner_tid;
    long inner_join, inner_status;
    long join_main;       /* the creator's tid is not a thread of ours */
    long join_self;
};

static int inner(void *arg)
{
    (void)arg;
    s9_sleep_ns(500000);
    return 21;
}

static int outer(void *arg)
{
    struct nest *n = arg;
    n->inner_tid = s9_thread_spawn(inner, NULL, stacks[5], STACK_SIZE, 0);
    n->join_main = sys_thread_join(mypid, NULL, 0);
    n->join_self = sys_thread_join(sys_gettid(), NULL, 0);
    sys_sem_wait(n->sem_go);
    int st = -1;
    n->inner_join = sys_thread_join(n->inner_tid, &st, 0);
    n->inner_status = st;
    return 0;
}

static void test_join_other_creator(void)
{
    static struct nest n;
    s9test_note("a thread created by another thread cannot be joined by us: ENOENT");
    memset(&n, 0, sizeof n);
    n.sem_go = sys_sem_create(0);
    CHECK_GT(n.sem_go, 0);
    long t = s9_thread_spawn(outer, &n, stacks[4], STACK_SIZE, 0);
    CHECK_GT(t, 0);
    for (int i = 0; i < 1000 && n.inner_tid == 0; i++)
        sys_proc_yield();
    long it = n.inner_tid;
    CHECK_GT(it, 0);
    CHECK(it != t && it != mypid);
    int st = -3;
    CHECK_EQ(sys_thread_join(it, &st, 0), -ENOENT);
    CHECK_EQ(st, -3);
    CHECK_EQ(sys_sem_post(n.sem_go), 0);
    CHECK_EQ(sys_thread_join(t, &st, 0), t);
    CHECK_EQ(st, 0);
    CHECK_EQ(n.inner_join, it); /* its creator could */
    CHECK_EQ(n.inner_status, 21);
    CHECK_EQ(n.join_main, -ENOENT);
    CHECK_EQ(n.join_self, -EINVAL);
    CHECK_EQ(sys_thread_join(it, &st, 0), -ENOENT);
    CHECK_EQ(sys_sem_close(n.sem_go), 0);
}

static void test_thread_exit_errors(void)
{
    s9test_note("SYS_THREAD_EXIT with a code that does not fit i32: EINVAL, the thread goes on");
    CHECK_EQ(sys_thread_exit(1UL << 31), -EINVAL);
    CHECK_EQ(sys_thread_exit((long)0xffffffffUL), -EINVAL);
    CHECK_EQ(sys_thread_exit(-1), -EINVAL);
    CHECK_EQ(sys_thread_exit(-2147483648L), -EINVAL);
    CHECK_EQ(sys_thread_exit(1UL << 32), -EINVAL);
    CHECK_EQ(sys_thread_exit(1UL << 63), -EINVAL);
    CHECK_EQ(sys_getpid(), mypid); /* still here */
}

static void test_arch_prctl(void)
{
    uint64_t out = 0;
    s9test_note("SYS_ARCH_PRCTL: ARCH_SET_FS then %%fs:0 reads memory at addr; ARCH_GET_FS; errors");
    CHECK_EQ(sys_arch_prctl(ARCH_SET_FS, (uint64_t)(uintptr_t)tls_b), 0);
    CHECK_EQ(read_fs0(), 0x7153000000000b22UL);
    CHECK_EQ(sys_arch_prctl(ARCH_GET_FS, (uint64_t)(uintptr_t)&out), 0);
    CHECK(out == (uint64_t)(uintptr_t)tls_b);
    tls_b[0] = 0x5eed;
    CHECK_EQ(read_fs0(), 0x5eed); /* a load through fs, not a copy */
    tls_b[0] = 0x7153000000000b22UL;
    CHECK_EQ(sys_arch_prctl(ARCH_SET_FS, (uint64_t)(uintptr_t)&tls_a[1]), 0);
    CHECK_EQ(read_fs0(), 1);
    CHECK_EQ(sys_arch_prctl(ARCH_GET_FS, 0), -EFAULT);
    CHECK_EQ(sys_arch_prctl(ARCH_GET_FS, (uint64_t)(uintptr_t)BAD_HIGH), -EFAULT);
    CHECK_EQ(sys_arch_prctl(ARCH_GET_FS, READ_ONLY), -EFAULT);
    CHECK_EQ(__ehdr_start[0], 0x7f);
    CHECK_EQ(sys_arch_prctl(0, (uint64_t)(uintptr_t)&out), -EINVAL);
    CHECK_EQ(sys_arch_prctl(0x1000, (uint64_t)(uintptr_t)&out), -EINVAL);
    CHECK_EQ(sys_arch_prctl(0x1005, (uint64_t)(uintptr_t)&out), -EINVAL);
    CHECK_EQ(sys_arch_prctl(0x3001, (uint64_t)(uintptr_t)&out), -EINVAL);
    CHECK_EQ(sys_arch_prctl(0x100000000UL + ARCH_SET_FS, (uint64_t)(uintptr_t)tls_c), -EINVAL);
    out = 0;
    CHECK_EQ(sys_arch_prctl(ARCH_GET_FS, (uint64_t)(uintptr_t)&out), 0);
    CHECK(out == (uint64_t)(uintptr_t)&tls_a[1]); /* the failed calls changed nothing */
    CHECK_EQ(read_fs0(), 1);
}

/* Two threads switch back and forth; each keeps its own fs base, also
 * after one of them changes its own with ARCH_SET_FS. */
struct pingpong {
    long my_sem, other_sem;
    uint64_t want, want_after;
    int change_at; /* round at which this thread sets fs to tls_c, or -1 */
};

static int fs_player(void *arg)
{
    struct pingpong *p = arg;
    int bad = 0;
    uint64_t want = p->want;
    for (int round = 0; round < 8; round++) {
        if (sys_sem_wait(p->my_sem) != 0)
            bad++;
        if (round == p->change_at) {
            if (sys_arch_prctl(ARCH_SET_FS, (uint64_t)(uintptr_t)tls_c) != 0)
                bad++;
            want = p->want_after;
        }
        if (read_fs0() != want)
            bad++;
        if (sys_sem_post(p->other_sem) != 0)
            bad++;
    }
    return bad;
}

static void test_fs_switch(void)
{
    static struct pingpong pa, pb;
    s9test_note("two threads alternate 8 times; each reads its own %%fs:0 every time");
    long s1 = sys_sem_create(1), s2 = sys_sem_create(0);
    pa = (struct pingpong){s1, s2, 0x7153000000000a11UL, 0, -1};
    pb = (struct pingpong){s2, s1, 0x7153000000000b22UL, 0x7153000000000c33UL, 4};
    long ta = s9_thread_spawn(fs_player, &pa, stacks[1], STACK_SIZE, (uint64_t)(uintptr_t)tls_a);
    long tb = s9_thread_spawn(fs_player, &pb, stacks[2], STACK_SIZE, (uint64_t)(uintptr_t)tls_b);
    int sa = -1, sb = -1;
    CHECK_EQ(sys_thread_join(ta, &sa, 0), ta);
    CHECK_EQ(sys_thread_join(tb, &sb, 0), tb);
    CHECK_EQ(sa, 0);
    CHECK_EQ(sb, 0);
    CHECK_EQ(read_fs0(), 1); /* main's, set in test_arch_prctl */
    sys_sem_close(s1);
    sys_sem_close(s2);
}

/* A thread's IPC messages carry its tid. */
static long ipc_port;
static int sender(void *arg)
{
    IpcMessage m;
    memset(&m, 0, sizeof m);
    m.msg_type = 0x51;
    m.sender = 0xffff; /* overwritten by the kernel */
    *(long *)(void *)m.payload = sys_gettid();
    long r = sys_ipc_send(ipc_port, &m);
    m.msg_type = 0x52;
    m.sender = 0xffff;
    long c = sys_chan_send(*(long *)arg, &m);
    return (int)(-r - c);
}

static void test_sender_is_tid(void)
{
    IpcMessage m;
    s9test_note("IpcMessage.sender is the sending thread's tid");
    static long chan;
    ipc_port = sys_ipc_create_port(0);
    CHECK_GT(ipc_port, 0);
    chan = sys_chan_create(2);
    CHECK_GT(chan, 0);
    long t = s9_thread_spawn(sender, &chan, stacks[1], STACK_SIZE, 0);
    CHECK_GT(t, 0);
    memset(&m, 0, sizeof m);
    CHECK_EQ(sys_ipc_recv(ipc_port, &m), 0);
    CHECK_EQ(m.msg_type, 0x51);
    CHECK_EQ(m.sender, t);
    CHECK_EQ(*(long *)(void *)m.payload, t);
    memset(&m, 0, sizeof m);
    CHECK_EQ(sys_chan_recv(chan, &m), 0); /* channels stamp the thread's tid too */
    CHECK_EQ(m.msg_type, 0x52);
    CHECK_EQ(m.sender, t);
    CHECK_EQ(sys_chan_close(chan), 0);
    int st = -1;
    CHECK_EQ(sys_thread_join(t, &st, 0), t);
    CHECK_EQ(st, 0);
    memset(&m, 0, sizeof m);
    CHECK_EQ(sys_ipc_send(ipc_port, &m), 0);
    CHECK_EQ(sys_ipc_recv(ipc_port, &m), 0);
    CHECK_EQ(m.sender, mypid); /* the main thread's tid is the pid */
    CHECK_EQ(sys_handle_close(ipc_port), 0);
}

/* ---------------------------------------------------------------------- */
/* Modes that end the process from one thread.                             */

static long block_sem;

static int block_forever(void *arg)
{
    (void)arg;
    sys_sem_wait(block_sem); /* never posted */
    s9_printf("# proc_threads: blocked thread woke up (wrong)\n");
    return 50;
}

static int sleep_forever(void *arg)
{
    (void)arg;
    for (;;)
        s9_sleep_ns(1000000);
    return 51;
}

static int group_exit_later(void *arg)
{
    (void)arg;
    s9_sleep_ns(2000000);
    s9_printf("# proc_threads: a thread calls SYS_EXIT_GROUP(9)\n");
    sys_exit_group(9);
    return 52;
}

static int proc_exit_later(void *arg)
{
    (void)arg;
    s9_sleep_ns(2000000);
    s9_printf("# proc_threads: a thread calls SYS_PROC_EXIT(12)\n");
    sys_proc_exit(12);
    return 53;
}

static int outlive_main(void *arg)
{
    (void)arg;
    s9_sleep_ns(2000000);
    long pid = sys_getpid();
    s9_printf("# proc_threads: the main thread is gone, this one goes on (pid ok: %d)\n", pid == mypid);
    sys_thread_exit(6);
    return 54;
}

/* Two threads of one process that wait for each other without any
 * syscall: only the slice preemption lets them through. */
static volatile int spin_flag, spin_ack;
static volatile unsigned long spin_work;

static int spin_waiter(void *arg)
{
    (void)arg;
    while (!spin_flag)
        spin_work++;
    spin_ack = 1;
    return 0;
}

static volatile unsigned long spin_sink;

static int run_spin(void)
{
    long t = s9_thread_spawn(spin_waiter, NULL, stacks[1], STACK_SIZE, 0);
    if (t <= 0)
        return 101;
    unsigned long x = 0;
    for (unsigned long i = 0; i < 3000000; i++) /* no syscall: a long computation */
        x += i ^ (x >> 3);
    spin_sink = x; /* keeps the computation */
    spin_flag = 1;
    while (!spin_ack) /* no syscall either */
        x++;
    int st = -1;
    long j = sys_thread_join(t, &st, 0);
    s9_printf("# proc_threads: both spinners got through (join %s, status %d, waiter spun: %s)\n",
              j == t ? "ok" : "FAILED", st, spin_work > 0 ? "yes" : "no");
    return j == t && st == 0 && spin_work > 0 ? 0 : 1;
}

static int run_mode(const char *mode)
{
    if (strcmp(mode, "spin") == 0)
        return run_spin();
    block_sem = sys_sem_create(0);
    if (strcmp(mode, "procexit") == 0) {
        s9_thread_spawn(block_forever, NULL, stacks[1], STACK_SIZE, 0);
        s9_thread_spawn(sleep_forever, NULL, stacks[2], STACK_SIZE, 0);
        s9_sleep_ns(5000000);
        s9_printf("# proc_threads: main returns 3\n");
        return 3;
    }
    if (strcmp(mode, "groupexit") == 0) {
        long t = s9_thread_spawn(block_forever, NULL, stacks[1], STACK_SIZE, 0);
        s9_thread_spawn(group_exit_later, NULL, stacks[2], STACK_SIZE, 0);
        s9_thread_spawn(sleep_forever, NULL, stacks[3], STACK_SIZE, 0);
        sys_thread_join(t, NULL, 0);
        s9_printf("# proc_threads: join returned (wrong)\n");
        return 100;
    }
    if (strcmp(mode, "threadexit") == 0) {
        s9_thread_spawn(proc_exit_later, NULL, stacks[1], STACK_SIZE, 0);
        s9_thread_spawn(sleep_forever, NULL, stacks[2], STACK_SIZE, 0);
        sys_sem_wait(block_sem);
        s9_printf("# proc_threads: sem_wait returned (wrong)\n");
        return 100;
    }
    if (strcmp(mode, "lastexit") == 0) {
        long t = s9_thread_spawn(outlive_main, NULL, stacks[1], STACK_SIZE, 0);
        if (t <= 0)
            return 101;
        s9_printf("# proc_threads: main calls SYS_THREAD_EXIT(4)\n");
        sys_thread_exit(4);
        s9_printf("# proc_threads: thread_exit returned (wrong)\n");
        return 100;
    }
    s9_printf("proc_threads: unknown mode %s\n", mode);
    return 2;
}

int main(int argc, char **argv)
{
    mypid = sys_getpid();
    if (argc > 1)
        return run_mode(argv[1]);
    CHECK_EQ(sys_gettid(), mypid);
    test_create_errors();
    test_raw_entry();
    test_c_threads();
    test_join_other_creator();
    test_thread_exit_errors();
    test_arch_prctl();
    test_fs_switch();
    test_sender_is_tid();
    return s9test_done();
}
