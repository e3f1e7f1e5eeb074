/*
 * fuzz_syscalls SEED [COUNT [NPROCS]]: a deterministic pseudo-random stream
 * of about COUNT syscalls (default 2000) with valid and invalid handles,
 * pointers and sizes, for the robustness suite (tests/emu/test_fuzz_guest.py)
 * and `make fuzz`. Several copies may run together (NPROCS of them, pids 1
 * to NPROCS, default 1): each binds a server port at "/fuzz/<pid>" served by
 * a thread, and calls, sends, grants and transfers handles to the others.
 *
 * The stream never ends or faults the fuzzer itself and never blocks it for
 * good:
 *  - no exit call in the stream (thread_exit only with a code that gives
 *    EINVAL); mmap MAP_FIXED only inside an arena of its own, munmap only
 *    above the mmap base; the kernel writes only into a scratch area, a
 *    read-only page, unmapped or absurd addresses, never into the data or
 *    stack the fuzzer relies on;
 *  - calls that can wait forever (send, call, recv, sem_wait, chan_send and
 *    recv, waitpid, join) go only to the server ports (whose threads always
 *    answer), to handles known invalid, or to objects made for that very
 *    step (an "episode") whose state is known; handle_wait and nanosleep
 *    always have a finite timeout; a message taken from a port is answered;
 *  - threads and forked children run shorter streams and always end.
 *
 * The fuzzer checks what it can: every error is a known errno, SYS_NULL and
 * the ABI version answer as documented, a closed handle stays invalid, an
 * episode's results are exact. It prints one summary line per process and
 * exits with the number of anomalies (0 expected).
 */
#include "strat9.h"

#define SCRATCH 0x50000000UL     /* two read/write pages, then an unmapped guard page */
#define SCRATCH_SIZE 0x2000UL
#define RO_PAGE 0x50004000UL     /* one read-only page */
#define ARENA 0x70000000UL       /* where MAP_FIXED may land */
#define ARENA_SIZE 0x01000000UL
#define POOL 48
#define CLOSED 32
#define SERVERS 8
#define WORKERS 2
#define STACK_SIZE 16384

extern const unsigned char __ehdr_start[];

/* -- pseudo-random numbers (xorshift64*) --------------------------------- */

typedef struct { uint64_t s; } Rng;

static uint64_t next(Rng *r)
{
    uint64_t x = r->s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static uint64_t below(Rng *r, uint64_t n) { return n ? next(r) % n : 0; }
static int chance(Rng *r, unsigned percent) { return below(r, 100) < percent; }
static void seed_rng(Rng *r, uint64_t seed)
{
    r->s = seed * 0x9E3779B97F4A7C15ULL + 0x632BE59BD9B4E019ULL;
    if (!r->s)
        r->s = 1;
}

/* -- state ----------------------------------------------------------------- */

static long mypid, mytid, nprocs, server_tid;
static int unprivileged; /* no admin rights: unknown handles fail with EBADF before any other check */
static long srv_port = -1;                 /* our server port: never touched by the stream */
static volatile long episode_h[3] = {-1, -1, -1}; /* handles of the running episode: idem */
static long pool[POOL];                    /* handles the stream made or received */
static int npool;
static long closed[CLOSED];                /* handles closed by the stream: invalid for good */
static int nclosed, closed_at;
static volatile long servers[SERVERS];     /* connections to server ports */
static long lowest_handle = 1, highest_handle = 1;
static long calls, errors, blocked_ok, anomalies;
static int forks, is_child;
static long children[4];
static int nchildren;
static uint64_t mapped[16];                /* addresses returned by mmap and ring_map */
static int nmapped;
static int episode_no;

static uint8_t worker_stacks[WORKERS][STACK_SIZE] __attribute__((aligned(16)));
static volatile long worker_tid[WORKERS];
static uint8_t server_stack[STACK_SIZE] __attribute__((aligned(16)));

static const long ERRNOS[] = {EPERM, ENOENT, EINTR, EIO, EBADF, ECHILD, EAGAIN, ENOMEM, EACCES, EFAULT,
                              EEXIST, EINVAL, ENOSPC, EPIPE, ENOSYS, ENOTSUP, ENOBUFS, ETIMEDOUT};

static void anomaly(const char *what, long nr, long r)
{
    anomalies++;
    s9_printf("fuzz_syscalls[%ld/%ld]: anomaly: %s (nr %ld -> %ld %s)\n", mypid, sys_gettid(), what, nr, r,
              errno_name(r));
}

/* Every result goes through here: an error must be a known errno. */
static long seen(long nr, long r)
{
    calls++;
    if (r < 0 && r > -4096) {
        errors++;
        int known = 0;
        for (size_t i = 0; i < sizeof ERRNOS / sizeof ERRNOS[0]; i++)
            known |= -r == ERRNOS[i];
        if (!known)
            anomaly("unknown errno", nr, r);
    }
    return r;
}

#define SC0(nr) seen(nr, strat9_syscall0(nr))
#define SC1(nr, a) seen(nr, strat9_syscall1(nr, (long)(a)))
#define SC2(nr, a, b) seen(nr, strat9_syscall2(nr, (long)(a), (long)(b)))
#define SC3(nr, a, b, c) seen(nr, strat9_syscall3(nr, (long)(a), (long)(b), (long)(c)))
#define SC5(nr, a, b, c, d, e) seen(nr, strat9_syscall5(nr, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e)))
#define SC6(nr, a, b, c, d, e, f) \
    seen(nr, strat9_syscall6(nr, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f)))

static int is_protected(long h)
{
    return h == srv_port || h == episode_h[0] || h == episode_h[1] || h == episode_h[2];
}

static void note_handle(long h)
{
    if (h <= 0)
        return;
    if (h < lowest_handle || lowest_handle == 1)
        lowest_handle = h;
    if (h > highest_handle)
        highest_handle = h;
}

static void pool_add(long h)
{
    if (h <= 0 || is_protected(h))
        return;
    note_handle(h);
    for (int i = 0; i < npool; i++)
        if (pool[i] == h)
            return;
    if (npool < POOL)
        pool[npool++] = h;
    else
        pool[h % POOL] = h; /* forget one: it stays in the table, unnamed */
}

static void forget(long h)
{
    for (int i = 0; i < npool; i++)
        if (pool[i] == h) {
            pool[i] = pool[--npool];
            break;
        }
    for (int i = 0; i < SERVERS; i++)
        if (servers[i] == h)
            servers[i] = 0;
    closed[closed_at] = h;
    closed_at = (closed_at + 1) % CLOSED;
    if (nclosed < CLOSED)
        nclosed++;
}

/* -- argument choices ------------------------------------------------------- */

enum { H_POOL, H_SERVER, H_CLOSED, H_JUNK, H_NEAR };

/* A handle and what it is known to be. */
static long pick_handle(Rng *r, int *kind)
{
    for (int tries = 0; tries < 4; tries++) {
        unsigned k = (unsigned)below(r, 100);
        if (k < 50 && npool) {
            *kind = H_POOL;
            return pool[below(r, (uint64_t)npool)];
        }
        if (k < 60) {
            long s = servers[below(r, SERVERS)];
            if (s > 0) {
                *kind = H_SERVER;
                return s;
            }
        }
        if (k < 75 && nclosed) {
            *kind = H_CLOSED;
            return closed[below(r, (uint64_t)nclosed)];
        }
        if (k < 88) {
            static const long junk[] = {0, -1, 0xFFFFFFFFL, 1L << 32, 1L << 40, 0x7FFFFFFFFFFFFFFFL};
            *kind = H_JUNK;
            return junk[below(r, sizeof junk / sizeof junk[0])];
        }
        if (k < 98) {
            long h = lowest_handle + (long)below(r, (uint64_t)(highest_handle - lowest_handle + 16));
            if (!is_protected(h)) {
                *kind = H_NEAR; /* perhaps valid, perhaps a handle someone granted us */
                return h;
            }
        }
    }
    *kind = H_JUNK;
    return (long)(next(r) | (1UL << 62));
}

static int known_invalid(int kind) { return kind == H_CLOSED || kind == H_JUNK; }

/* A pointer the kernel may read or write: scratch, read-only, unmapped, absurd. */
static uint64_t pick_ptr(Rng *r)
{
    switch (below(r, 14)) {
    case 0: case 1: case 2: case 3: case 4:
        return SCRATCH + below(r, SCRATCH_SIZE - 64);
    case 5: return SCRATCH + SCRATCH_SIZE - 1 - below(r, 63); /* runs into the guard page */
    case 6: return RO_PAGE + below(r, 4096 - 64);
    case 7: return RO_PAGE + 4096 - 8;                         /* read-only, then unmapped */
    case 8: return (uint64_t)(uintptr_t)__ehdr_start;          /* the image: read-only */
    case 9: return 0;
    case 10: return 0xdead0000UL;
    case 11: return 1UL << 47;                                  /* non-canonical */
    case 12: return 0xFFFF800000000000UL;                       /* kernel half */
    default: return next(r);
    }
}

/* A pointer that is surely good, for out-arguments that must not fail. */
static IpcMessage *scratch_msg(Rng *r) { return (IpcMessage *)(uintptr_t)(SCRATCH + 64 * below(r, 64)); }

static uint64_t pick_size(Rng *r)
{
    static const uint64_t sizes[] = {0, 1, 2, 7, 8, 16, 48, 63, 64, 100, 4095, 4096, 4097, 8192, 65536,
                                     1UL << 20, 1UL << 31, 1UL << 32, ~0UL};
    return chance(r, 85) ? sizes[below(r, sizeof sizes / sizeof sizes[0])] : next(r);
}

static uint64_t pick_int(Rng *r)
{
    static const uint64_t ints[] = {0, 1, 2, 3, 4, 7, 16, 255, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 1UL << 32,
                                    1UL << 63, ~0UL, ~0UL - 1};
    return chance(r, 80) ? ints[below(r, sizeof ints / sizeof ints[0])] : next(r);
}

/* Paths for bind, unbind and connect: never "/fuzz..." (the servers) nor
 * "/srv/strate-fs-..." (a bind there queues a message and could block). */
static const char *const PATHS[] = {"/fz/a", "/fz/a/b", "/fz/b", "/fz/b/", "/fz", "/fz/ab", "/dev", "/",
                                    "fz/no-slash", "/fz/\xff\xfe", "/fz/a//c", "/sys/x", "/initfs/fz"};

static void put_path(Rng *r, uint64_t *ptr, uint64_t *len)
{
    uint64_t k = below(r, 20);
    if (k < 13) {
        char *dst = (char *)(uintptr_t)(SCRATCH + 0x1800);
        size_t n = strlen(PATHS[k]);
        memcpy(dst, PATHS[k], n);
        *ptr = (uint64_t)(uintptr_t)dst;
        *len = chance(r, 80) ? n : pick_size(r);
    } else {
        *ptr = pick_ptr(r);
        *len = pick_size(r);
    }
}

/* A message in scratch, perhaps carrying a handle to transfer. */
static IpcMessage *put_msg(Rng *r, long flags)
{
    IpcMessage *m = scratch_msg(r);
    m->sender = chance(r, 80) ? 0 : next(r);
    m->msg_type = chance(r, 70) ? 1 : (uint32_t)next(r);
    m->flags = (uint32_t)flags;
    for (int i = 0; i < IPC_PAYLOAD_SIZE; i++)
        m->payload[i] = (uint8_t)(i * 7 + calls);
    return m;
}

static long transfer_candidate(Rng *r)
{
    int kind;
    if (chance(r, 60))
        return 0;
    return pick_handle(r, &kind) & 0xFFFFFFFFL;
}

/* -- the server thread -------------------------------------------------------- */

static int server(void *arg)
{
    (void)arg;
    Rng rng;
    seed_rng(&rng, (uint64_t)mypid * 77 + 5);
    long kept[4] = {0, 0, 0, 0};
    long give = sys_chan_create(4); /* handed to callers now and then (reply transfer) */
    for (;;) {
        IpcMessage m;
        long r = sys_ipc_recv((uint64_t)srv_port, &m);
        if (r != 0) {
            /* A transfer that failed (EPERM, EBADF, EINVAL, ENOMEM after the
             * dequeue: the message is lost, ABI.md section 5), unless the port
             * handle itself is gone, which the stream must never do. */
            HandleInfo info;
            long gone = sys_handle_info((uint64_t)srv_port, &info);
            if (gone != 0) {
                anomaly("the server port is gone", SYS_IPC_RECV, r);
                return 1;
            }
            continue;
        }
        if (m.flags) { /* a transferred handle: keep a few, close the rest */
            int slot = (int)below(&rng, 4);
            if (kept[slot])
                sys_handle_close((uint64_t)kept[slot]);
            kept[slot] = chance(&rng, 50) ? (long)m.flags : 0;
            if (!kept[slot])
                sys_handle_close(m.flags);
        }
        m.msg_type = 0x81;
        m.flags = give > 0 && chance(&rng, 25) ? (uint32_t)give : 0;
        if (sys_ipc_reply(&m) != 0 && m.flags) {
            m.flags = 0;
            sys_ipc_reply(&m); /* the caller must get an answer */
        }
    }
}

/* -- episodes: blocking calls on objects whose state is known ------------------------ */

static void expect(int ok, const char *what, long nr, long r)
{
    if (!ok)
        anomaly(what, nr, r);
}

static void sem_episode(Rng *r)
{
    long n = (long)below(r, 4), extra = (long)below(r, 3);
    long h = SC1(SYS_SEM_CREATE, extra);
    if (h < 0)
        return;
    episode_h[0] = h;
    for (long i = 0; i < n; i++)
        expect(SC1(SYS_SEM_POST, h) == 0, "sem_post", SYS_SEM_POST, 0);
    for (long i = 0; i < n + extra; i++) {
        long w = SC1(SYS_SEM_WAIT, h);
        expect(w == 0, "sem_wait with a positive count", SYS_SEM_WAIT, w);
        blocked_ok++;
    }
    long t = SC2(SYS_HANDLE_WAIT, h, 1000 + below(r, 100000));
    expect(t == -ETIMEDOUT, "handle_wait on an empty semaphore", SYS_HANDLE_WAIT, t);
    t = SC1(SYS_SEM_TRYWAIT, h);
    expect(t == -EAGAIN, "sem_trywait on an empty semaphore", SYS_SEM_TRYWAIT, t);
    expect(SC1(chance(r, 50) ? SYS_SEM_CLOSE : SYS_HANDLE_CLOSE, h) == 0, "sem close", SYS_SEM_CLOSE, 0);
    episode_h[0] = -1;
    forget(h);
}

static void chan_episode(Rng *r)
{
    long cap = 1 + (long)below(r, 4), n = (long)below(r, (uint64_t)cap + 1);
    long h = SC1(SYS_CHAN_CREATE, cap);
    if (h < 0)
        return;
    episode_h[1] = h;
    IpcMessage m;
    for (long i = 0; i < n; i++) {
        memset(&m, 0, sizeof m);
        m.msg_type = (uint32_t)(100 + i);
        expect(SC2(SYS_CHAN_SEND, h, &m) == 0, "chan_send with room", SYS_CHAN_SEND, 0);
    }
    for (long i = 0; i < n; i++) {
        long got = SC2(SYS_CHAN_RECV, h, &m);
        expect(got == 0 && m.msg_type == (uint32_t)(100 + i) && m.sender == (uint64_t)mytid, "chan_recv in order",
               SYS_CHAN_RECV, got);
        blocked_ok++;
    }
    long t = SC2(SYS_CHAN_TRY_RECV, h, &m);
    expect(t == -EAGAIN, "chan_try_recv on an empty channel", SYS_CHAN_TRY_RECV, t);
    expect(SC1(SYS_CHAN_CLOSE, h) == 0, "chan_close", SYS_CHAN_CLOSE, 0);
    episode_h[1] = -1;
    forget(h);
}

static void port_episode(Rng *r)
{
    long n = (long)below(r, 17);
    long h = SC1(SYS_IPC_CREATE_PORT, 0);
    if (h < 0)
        return;
    episode_h[2] = h;
    IpcMessage m;
    for (long i = 0; i < n; i++) {
        memset(&m, 0, sizeof m);
        m.msg_type = (uint32_t)(200 + i);
        expect(SC2(SYS_IPC_SEND, h, &m) == 0, "ipc_send with room", SYS_IPC_SEND, 0);
    }
    for (long i = 0; i < n; i++) {
        long got = SC2(SYS_IPC_RECV, h, &m);
        expect(got == 0 && m.msg_type == (uint32_t)(200 + i), "ipc_recv in order", SYS_IPC_RECV, got);
        blocked_ok++;
    }
    char path[48];
    long len = s9_snprintf(path, sizeof path, "/srv/strate-fs-fz%ld-%d", mypid, episode_no++);
    long b = SC3(SYS_IPC_BIND_PORT, h, path, len);
    if (b == 0) { /* the bootstrap message (ABI.md section 5) */
        long got = SC2(SYS_IPC_TRY_RECV, h, &m);
        expect(got == 0 && m.msg_type == IPC_MSG_BOOTSTRAP, "bootstrap message", SYS_IPC_TRY_RECV, got);
        expect(SC2(SYS_IPC_UNBIND_PORT, path, len) == 0, "unbind", SYS_IPC_UNBIND_PORT, 0);
    } else {
        expect(b == -EPERM, "bind of a fresh path", SYS_IPC_BIND_PORT, b); /* unprivileged */
    }
    long t = SC2(SYS_IPC_TRY_RECV, h, &m);
    expect(t == -EAGAIN, "ipc_try_recv on an empty port", SYS_IPC_TRY_RECV, t);
    expect(SC1(SYS_HANDLE_CLOSE, h) == 0, "close port", SYS_HANDLE_CLOSE, 0);
    episode_h[2] = -1;
    forget(h);
}

/* -- the stream -------------------------------------------------------------------------- */

static void answer(IpcMessage *m)
{
    /* A message taken from a port may be someone's call, perhaps of another
     * thread of this process: answer it (a thread's own message was a send). */
    if (m->sender && (long)m->sender != sys_gettid()) {
        m->flags = 0;
        SC1(SYS_IPC_REPLY, m);
    }
}

static void call_server(Rng *r, int send_only, int in_worker)
{
    long s = servers[below(r, SERVERS)];
    if (s <= 0)
        return;
    /* Main may close any handle while a worker waits in a call, and a
     * transfer that fails loses the call: workers transfer nothing. */
    long flags = in_worker ? 0 : transfer_candidate(r);
    IpcMessage *m = put_msg(r, flags);
    if (flags && chance(r, 50)) { /* handed over for good */
        for (int i = 0; i < npool; i++)
            if (pool[i] == flags)
                pool[i] = pool[--npool];
    }
    long res = SC2(send_only ? SYS_IPC_SEND : SYS_IPC_CALL, s, m);
    blocked_ok++;
    if (!send_only && res == 0 && m->flags && m->msg_type == 0x81)
        pool_add(m->flags); /* the server's reply carried a handle */
}

static void connect_server(Rng *r)
{
    char path[32];
    long p = 1 + (long)below(r, (uint64_t)nprocs);
    long len = s9_snprintf(path, sizeof path, "/fuzz/%ld", p);
    long h = SC2(SYS_IPC_CONNECT, path, len);
    if (h > 0) {
        note_handle(h);
        int slot = (int)below(r, SERVERS);
        if (servers[slot] > 0 && SC1(SYS_HANDLE_CLOSE, servers[slot]) == 0)
            forget(servers[slot]);
        servers[slot] = h;
    }
}

static int worker(void *arg);
static void run_stream(Rng *r, long count, int in_worker);

static void spawn_worker(Rng *r)
{
    for (int i = 0; i < WORKERS; i++) {
        if (worker_tid[i] > 0)
            continue;
        long tid = s9_thread_spawn(worker, (void *)(uintptr_t)(next(r) | 1), worker_stacks[i], STACK_SIZE, 0);
        seen(SYS_THREAD_CREATE, tid);
        if (tid > 0)
            worker_tid[i] = tid;
        return;
    }
}

static void join_worker(Rng *r)
{
    int i = (int)below(r, WORKERS);
    if (worker_tid[i] <= 0)
        return;
    int status = -1;
    long j = SC3(SYS_THREAD_JOIN, worker_tid[i], chance(r, 70) ? &status : NULL, 0);
    expect(j == worker_tid[i], "join of a worker", SYS_THREAD_JOIN, j);
    worker_tid[i] = 0;
}

static int worker(void *arg)
{
    Rng rng;
    seed_rng(&rng, (uint64_t)(uintptr_t)arg);
    run_stream(&rng, 20 + (long)below(&rng, 60), 1);
    return 0;
}

static void do_fork(Rng *r)
{
    if (is_child || forks >= 2 || nchildren >= 4)
        return;
    uint64_t child_seed = next(r);
    long pid = SC0(SYS_PROC_FORK);
    if (pid == 0) { /* the child: a short stream of its own, then exit */
        is_child = 1;
        nchildren = 0;
        mypid = sys_getpid();
        mytid = sys_gettid();
        for (int i = 0; i < WORKERS; i++)
            worker_tid[i] = 0; /* the workers stayed in the parent */
        seed_rng(r, child_seed);
        long before = calls;
        run_stream(r, 40 + (long)below(r, 200), 0);
        s9_printf("fuzz_syscalls[%ld]: forked child: %ld calls, %ld anomalies\n", mypid, calls - before, anomalies);
        s9_exit(anomalies ? 1 : 0);
    }
    forks++;
    if (pid > 0)
        children[nchildren++] = pid;
}

static void reap(Rng *r, int all)
{
    while (nchildren) {
        int status = -1;
        long options = !all && chance(r, 50) ? WNOHANG : 0;
        long pid = SC3(SYS_PROC_WAITPID, chance(r, 50) ? -1L : children[0], &status, options);
        if (pid == 0)
            return; /* WNOHANG, still running */
        if (pid < 0) {
            anomaly("waitpid of a live child", SYS_PROC_WAITPID, pid);
            return;
        }
        if (status != 0)
            anomaly("forked child failed", SYS_PROC_WAITPID, status);
        for (int i = 0; i < nchildren; i++)
            if (children[i] == pid)
                children[i] = children[--nchildren];
        if (!all)
            return;
    }
}

/* Raw calls with random numbers: everything except what could end, fault or
 * block the fuzzer, or write where it lives (handled by the typed steps). */
static int raw_allowed(uint64_t nr)
{
    switch (nr) {
    case SYS_HANDLE_WAIT: case SYS_MMAP: case SYS_MUNMAP: case SYS_IPC_SEND: case SYS_IPC_RECV:
    case SYS_IPC_CALL: case SYS_IPC_BIND_PORT: case SYS_CHAN_SEND: case SYS_CHAN_RECV: case SYS_SEM_WAIT:
    case SYS_PROC_EXIT: case SYS_PROC_FORK: case SYS_PROC_WAITPID: case SYS_EXIT_GROUP: case SYS_THREAD_CREATE:
    case SYS_THREAD_JOIN: case SYS_THREAD_EXIT: case SYS_ARCH_PRCTL: case SYS_WRITE: case SYS_DEBUG_LOG:
    case SYS_NANOSLEEP: case SYS_IPC_TRY_RECV:
        return 0;
    default:
        return 1;
    }
}

static uint64_t generic_arg(Rng *r)
{
    int kind;
    switch (below(r, 4)) {
    case 0: return pick_int(r);
    case 1: return pick_ptr(r);
    case 2: return (uint64_t)pick_handle(r, &kind);
    default: return pick_size(r);
    }
}

static const uint16_t TABLE_NRS[] = {0, 1, 2, 4, 5, 6, 102, 103, 104, 200, 204, 206, 208, 210, 211, 220, 223, 224,
                                     230, 232, 233, 234, 301, 303, 304, 308, 309, 311, 312, 403, 405, 406, 500, 900};

static void one_step(Rng *r, int in_worker)
{
    int kind;
    long h, res;
    uint64_t p, len;
    IpcMessage *m;
    switch (below(r, 40)) {
    case 0: /* the trivial calls answer as documented */
        res = SC0(SYS_NULL);
        expect(res == SYS_NULL_MAGIC, "SYS_NULL", SYS_NULL, res);
        res = SC0(SYS_ABI_VERSION);
        expect(res == ((STRAT9_ABI_MAJOR << 16) | STRAT9_ABI_MINOR), "SYS_ABI_VERSION", SYS_ABI_VERSION, res);
        res = SC0(SYS_GETPID);
        expect(res == mypid && SC0(SYS_PROC_GETPID) == mypid, "getpid", SYS_GETPID, res);
        SC0(SYS_PROC_GETPPID);
        break;
    case 1:
        h = pick_handle(r, &kind);
        res = SC1(SYS_HANDLE_DUPLICATE, h);
        if (res > 0 && !in_worker)
            pool_add(res);
        else if (res > 0)
            SC1(SYS_HANDLE_CLOSE, res);
        break;
    case 2: case 3:
        h = pick_handle(r, &kind);
        if (in_worker && !known_invalid(kind))
            break; /* workers close nothing of main's */
        res = SC1(below(r, 3) == 0 ? SYS_HANDLE_REVOKE : SYS_HANDLE_CLOSE, h);
        if (res == 0)
            forget(h);
        else if (kind == H_CLOSED)
            expect(res == -EBADF || res == -EPERM, "close of a closed handle", SYS_HANDLE_CLOSE, res);
        break;
    case 4:
        h = pick_handle(r, &kind);
        p = chance(r, 70) ? SCRATCH + 0x1F00 : pick_ptr(r);
        res = SC2(SYS_HANDLE_INFO, h, p);
        if (kind == H_CLOSED)
            expect(res == -EBADF || res == -EFAULT, "info of a closed handle", SYS_HANDLE_INFO, res);
        break;
    case 5:
        h = pick_handle(r, &kind);
        res = SC2(SYS_HANDLE_WAIT, h, chance(r, 50) ? 0 : 1 + below(r, chance(r, 90) ? 1000000 : 1UL << 40));
        break;
    case 6:
        h = pick_handle(r, &kind);
        res = SC2(SYS_HANDLE_GRANT, h, chance(r, 70) ? 1 + below(r, (uint64_t)nprocs + 2) : pick_int(r));
        break;
    case 7:
        if (in_worker)
            break;
        res = SC1(SYS_IPC_CREATE_PORT, pick_int(r));
        pool_add(res);
        break;
    case 8:
        if (in_worker)
            break;
        res = SC1(SYS_CHAN_CREATE, chance(r, 70) ? below(r, 8) : pick_int(r));
        pool_add(res);
        break;
    case 9:
        if (in_worker)
            break;
        res = SC1(SYS_SEM_CREATE, chance(r, 70) ? below(r, 4) : pick_int(r));
        pool_add(res);
        break;
    case 10:
        if (in_worker)
            break;
        res = SC1(SYS_IPC_RING_CREATE, chance(r, 70) ? 1 + below(r, 3 * 4096) : pick_size(r));
        pool_add(res);
        break;
    case 11:
        h = pick_handle(r, &kind);
        p = chance(r, 60) ? SCRATCH + 0x1F00 : pick_ptr(r);
        res = SC2(SYS_IPC_RING_MAP, h, p);
        if (res > 0 && p == SCRATCH + 0x1F00 && nmapped < 16)
            mapped[nmapped++] = *(volatile uint64_t *)(uintptr_t)p;
        break;
    case 12: /* try_recv: a good buffer unless the handle is known invalid; answer what came */
        h = pick_handle(r, &kind);
        m = scratch_msg(r);
        res = SC2(SYS_IPC_TRY_RECV, h, known_invalid(kind) && chance(r, 50) ? (IpcMessage *)(uintptr_t)pick_ptr(r) : m);
        if (res == 0) {
            if (m->flags)
                pool_add(m->flags);
            answer(m);
        }
        break;
    case 13: /* send, call, recv, chan and sem waits on known-invalid handles: errors at once */
        do
            h = pick_handle(r, &kind);
        while (!known_invalid(kind));
        {
            static const long nrs[] = {SYS_IPC_SEND, SYS_IPC_RECV, SYS_IPC_CALL, SYS_CHAN_SEND, SYS_CHAN_RECV,
                                       SYS_SEM_WAIT};
            long nr = nrs[below(r, 6)];
            res = SC2(nr, h, chance(r, 60) ? (uint64_t)(uintptr_t)put_msg(r, 0) : pick_ptr(r));
            expect(res < 0, "a blocking call on an invalid handle succeeded", nr, res);
        }
        break;
    case 14: case 15:
        call_server(r, 0, in_worker);
        break;
    case 16:
        call_server(r, 1, in_worker);
        break;
    case 17: /* chan_send with an unreadable message fails first (EFAULT), whatever the handle */
        h = pick_handle(r, &kind);
        res = SC2(SYS_CHAN_SEND, h, chance(r, 50) ? 0UL : 0xdead0000UL);
        expect(res == -EFAULT || (unprivileged && res == -EBADF), "chan_send of an unreadable message",
               SYS_CHAN_SEND, res);
        break;
    case 18:
        h = pick_handle(r, &kind);
        res = SC2(SYS_CHAN_TRY_RECV, h, pick_ptr(r));
        break;
    case 19:
        h = pick_handle(r, &kind);
        if (in_worker && !known_invalid(kind))
            break;
        res = SC1(below(r, 2) ? SYS_CHAN_CLOSE : SYS_SEM_CLOSE, h);
        if (res == 0)
            forget(h);
        break;
    case 20:
        h = pick_handle(r, &kind);
        if (in_worker && !known_invalid(kind))
            break;
        SC1(below(r, 2) ? SYS_SEM_TRYWAIT : SYS_SEM_POST, h);
        break;
    case 21:
        m = put_msg(r, transfer_candidate(r));
        m->sender = chance(r, 50) ? (uint64_t)(1 + below(r, 40)) : next(r);
        SC1(SYS_IPC_REPLY, chance(r, 85) ? (uint64_t)(uintptr_t)m : pick_ptr(r));
        break;
    case 22: /* bind, unbind, connect */
        put_path(r, &p, &len);
        h = pick_handle(r, &kind);
        switch (below(r, 3)) {
        case 0: SC3(SYS_IPC_BIND_PORT, h, p, len); break;
        case 1: SC2(SYS_IPC_UNBIND_PORT, p, len); break;
        default:
            res = SC2(SYS_IPC_CONNECT, p, len);
            if (res > 0 && !in_worker)
                pool_add(res);
            else if (res > 0)
                SC1(SYS_HANDLE_CLOSE, res);
        }
        break;
    case 23:
        if (!in_worker)
            connect_server(r);
        break;
    case 24: /* mmap: fixed only in the arena (or invalid), else anywhere free */
        {
            static const long flag_set[] = {0x22, 0x22, 0x21, 0x32, 0x12, 0x20, 0x23, 0x822, 0x100032, 0x40, 0x02,
                                            0x31};
            long flags = chance(r, 85) ? flag_set[below(r, 12)] : (long)next(r);
            uint64_t addr;
            uint64_t length = chance(r, 80) ? 4096 * (1 + below(r, 8)) : pick_size(r);
            if (flags & MAP_FIXED)
                addr = chance(r, 80) ? ARENA + 4096 * below(r, ARENA_SIZE / 4096 - 64)
                                     : (chance(r, 50) ? 0 : ARENA + 1 + below(r, 4095));
            else
                addr = chance(r, 60) ? 0 : pick_int(r);
            if ((flags & MAP_FIXED) && addr >= ARENA && addr % 4096 == 0 && length > ARENA_SIZE / 2)
                length = 4096;
            res = SC6(SYS_MMAP, addr, length, below(r, 9), flags, chance(r, 80) ? -1L : (long)pick_int(r),
                      chance(r, 90) ? 0 : pick_int(r));
            if (res > 0 && (res & 4095))
                anomaly("mmap returned an unaligned address", SYS_MMAP, res);
            if (res > 0 && nmapped < 16)
                mapped[nmapped++] = (uint64_t)res;
        }
        break;
    case 25: /* munmap: only where mmap and ring_map place things, or invalid */
        if (nmapped && chance(r, 60)) {
            int i = (int)below(r, (uint64_t)nmapped);
            p = mapped[i];
            mapped[i] = mapped[--nmapped];
        } else {
            p = chance(r, 70) ? S9_MAP_BASE + 4096 * below(r, 0x8000) : (chance(r, 50) ? 0 : S9_MAP_BASE + 3);
        }
        if (p >= S9_MAP_BASE && p < ARENA + ARENA_SIZE)
            SC2(SYS_MUNMAP, p, 4096 * (1 + below(r, 64)));
        else if (p == 0 || (p & 4095))
            SC2(SYS_MUNMAP, p, 4096);
        break;
    case 26:
        SC2(SYS_CLOCK_GETTIME, chance(r, 70) ? below(r, 2) : pick_int(r),
            chance(r, 70) ? (uint64_t)(SCRATCH + 0x1E00) : pick_ptr(r));
        break;
    case 27: { /* a short sleep, or an invalid one */
        TimeSpec *ts = (TimeSpec *)(uintptr_t)(SCRATCH + 0x1E40);
        ts->tv_sec = chance(r, 90) ? 0 : (int64_t)pick_int(r);
        ts->tv_nsec = chance(r, 80) ? (int64_t)below(r, 2000000) : (int64_t)pick_int(r);
        if (ts->tv_sec > 1)
            ts->tv_sec = -1;
        SC2(SYS_NANOSLEEP, chance(r, 85) ? (uint64_t)(uintptr_t)ts : pick_ptr(r), chance(r, 50) ? 0 : pick_ptr(r));
        break;
    }
    case 28: /* console: only what cannot print (empty, bad buffers, bad fds) */
        if (chance(r, 50))
            SC3(SYS_WRITE, 1 + below(r, 2), chance(r, 50) ? 0xdead0000UL : 0, chance(r, 50) ? 0 : 1 + below(r, 64));
        else if (chance(r, 50))
            SC3(SYS_WRITE, 3 + below(r, 100), pick_ptr(r), pick_size(r));
        else
            SC2(SYS_DEBUG_LOG, chance(r, 50) ? 0xdead0000UL : RO_PAGE + 4096 - 8,
                chance(r, 30) ? 0 : 16 + below(r, 64));
        break;
    case 29:
        SC2(SYS_ARCH_PRCTL, chance(r, 60) ? (chance(r, 50) ? ARCH_GET_FS : ARCH_GET_GS) : (long)pick_int(r),
            pick_ptr(r));
        break;
    case 30: /* thread calls that fail */
        switch (below(r, 4)) {
        case 0: SC5(SYS_THREAD_CREATE, pick_int(r), pick_int(r), 0, 1 + below(r, 8), 0); break;
        case 1: SC5(SYS_THREAD_CREATE, 0, (uint64_t)(uintptr_t)(worker_stacks[0] + 64), 0, 0, 0); break;
        case 2: SC5(SYS_THREAD_CREATE, (uint64_t)(uintptr_t)s9_thread_entry, 0x7000000008UL, 0, 0, 0); break;
        default: SC1(SYS_THREAD_EXIT, 0x80000000UL + below(r, 0x7FFFFFFF)); break;
        }
        break;
    case 31: { /* join of anything but this process's own threads (they are joined below) */
        long tid = chance(r, 50) ? (long)below(r, 64) : (long)pick_int(r);
        if (tid == server_tid || tid == worker_tid[0] || tid == worker_tid[1])
            tid = -tid;
        SC3(SYS_THREAD_JOIN, tid, pick_ptr(r), chance(r, 50) ? 0 : 1 + below(r, 4));
        break;
    }
    case 32:
        SC3(SYS_PROC_WAITPID, chance(r, 50) ? 1000 + (long)below(r, 1000) : -2 - (long)below(r, 9),
            pick_ptr(r), chance(r, 50) ? WNOHANG : pick_int(r));
        break;
    case 33:
        if (!in_worker) {
            if (chance(r, 50))
                spawn_worker(r);
            else
                join_worker(r);
        }
        break;
    case 34:
        if (!in_worker && chance(r, 20))
            do_fork(r);
        else if (!in_worker)
            reap(r, 0);
        break;
    case 35:
        if (!in_worker)
            sem_episode(r);
        break;
    case 36:
        if (!in_worker)
            chan_episode(r);
        break;
    case 37:
        if (!in_worker)
            port_episode(r);
        break;
    case 38:
        SC0(chance(r, 50) ? SYS_PROC_YIELD : SYS_GETTID);
        break;
    default: { /* a raw call: a table number or any number, with any arguments */
        uint64_t nr = chance(r, 70) ? TABLE_NRS[below(r, sizeof TABLE_NRS / sizeof TABLE_NRS[0])]
                                    : (chance(r, 90) ? below(r, 1100) : next(r));
        if (!raw_allowed(nr) || (in_worker && (nr == SYS_HANDLE_CLOSE || nr == SYS_HANDLE_REVOKE ||
                                               nr == SYS_CHAN_CLOSE || nr == SYS_SEM_CLOSE)))
            break; /* workers close nothing of main's */
        uint64_t a[6];
        for (int i = 0; i < 6; i++) {
            a[i] = generic_arg(r);
            if (is_protected((long)a[i]))
                a[i] = ~0UL;
        }
        res = SC6((long)nr, a[0], a[1], a[2], a[3], a[4], a[5]);
        if ((nr == SYS_HANDLE_DUPLICATE || nr == SYS_IPC_CONNECT || nr == SYS_IPC_CREATE_PORT ||
             nr == SYS_CHAN_CREATE || nr == SYS_SEM_CREATE || nr == SYS_IPC_RING_CREATE) && res > 0) {
            if (in_worker)
                SC1(SYS_HANDLE_CLOSE, res);
            else
                pool_add(res);
        }
        if ((nr == SYS_HANDLE_CLOSE || nr == SYS_HANDLE_REVOKE || nr == SYS_CHAN_CLOSE || nr == SYS_SEM_CLOSE) &&
            res == 0)
            forget((long)a[0]);
        break;
    }
    }
}

static void run_stream(Rng *r, long count, int in_worker)
{
    long start = calls;
    while (calls - start < count)
        one_step(r, in_worker);
}

int main(int argc, char **argv)
{
    uint64_t seed = argc > 1 ? (uint64_t)s9_atol(argv[1]) : 1;
    long count = argc > 2 ? s9_atol(argv[2]) : 2000;
    nprocs = argc > 3 ? s9_atol(argv[3]) : 1;
    if (nprocs < 1)
        nprocs = 1;
    mypid = sys_getpid();
    mytid = sys_gettid();
    Rng rng;
    seed_rng(&rng, seed * 1000003 + (uint64_t)mypid);

    if (sys_mmap((void *)SCRATCH, SCRATCH_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
                 0) != (long)SCRATCH ||
        sys_mmap((void *)RO_PAGE, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != (long)RO_PAGE) {
        s9_printf("fuzz_syscalls[%ld]: cannot map the scratch area\n", mypid);
        return 2;
    }
    srv_port = sys_ipc_create_port(0);
    char path[32];
    long len = s9_snprintf(path, sizeof path, "/fuzz/%ld", mypid);
    long bound = sys_ipc_bind_port((uint64_t)srv_port, path, (size_t)len); /* EPERM when unprivileged */
    unprivileged = bound == -EPERM;
    server_tid = s9_thread_spawn(server, NULL, server_stack, STACK_SIZE, 0);
    if (srv_port <= 0 || server_tid <= 0) {
        s9_printf("fuzz_syscalls[%ld]: cannot start the server\n", mypid);
        return 2;
    }
    note_handle(srv_port);

    run_stream(&rng, count, 0);

    for (int i = 0; i < WORKERS; i++)
        if (worker_tid[i] > 0)
            SC3(SYS_THREAD_JOIN, worker_tid[i], NULL, 0);
    reap(&rng, 1);
    s9_printf("fuzz_syscalls[%ld]: seed %lu: %ld calls, %ld errors, %ld blocking calls completed, %ld anomalies%s\n",
              mypid, (unsigned long)seed, calls, errors, blocked_ok, anomalies, bound == 0 ? "" : " (no server path)");
    return anomalies ? 1 : 0;
}
