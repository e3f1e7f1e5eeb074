/*
 * conf_lifetime: conformance of object lifetime, ABI.md sections 4 and 5:
 *  - an IPC object lives while any handle to it exists in any process;
 *  - a port whose last handle is closed by a task other than its owner
 *    lives on (reachable through the namespace) until its owner exits;
 *  - when a port's owner exits the port is destroyed: a sender blocked on
 *    it fails with EPIPE, later calls through a handle to it give EBADF
 *    ("port gone"), SYS_HANDLE_WAIT gives EPIPE, connect gives EBADF, and
 *    the sender of every message still queued there receives the EPIPE
 *    error reply, which its next SYS_IPC_CALL returns (0, msg_type 0x80,
 *    payload[0..4] = 32);
 *  - closing the last handle of a channel, semaphore or port (by its
 *    owner) destroys it and wakes every task blocked on it with EPIPE.
 *    The only task that can be blocked on an object while its last handle
 *    is closed is another thread of the closing process, so these checks
 *    need SYS_THREAD_CREATE; while the kernel model answers it with ENOSYS
 *    they are skipped, with a "# SKIP threads" line.
 *
 * Run as pid 1 with conf_lifetime_peer as pid 2:
 *   strat9-emu run conf_lifetime.elf conf_lifetime_peer.elf
 * Exit code = number of failed checks.
 */
#include "strat9.h"
#include "s9test.h"
#include "s9conf.h"

static const char PATH[] = "/conf/lifetime";
static const char PEER_PATH[] = "/conf/lifetime-peer";
enum { HELLO = 1, STEP2 = 2, FILL = 3, MINE = 4 };

static long mypid;

static uint32_t payload_u32(const IpcMessage *m)
{
    uint32_t v;
    memcpy(&v, m->payload, 4);
    return v;
}

/* ---------------------------------------------------------------------- */
/* Threads: a second task of this process blocks on an object whose last  */
/* handle the main thread then closes.                                     */

enum { OP_CHAN_RECV, OP_CHAN_SEND, OP_SEM_WAIT, OP_PORT_RECV, OP_PORT_SEND, OP_HANDLE_WAIT };

struct job {
    int op;
    long h;
    volatile long result;
    volatile int started;
};

static uint8_t thread_stack[16384] __attribute__((aligned(16)));

static int worker(void *arg)
{
    struct job *j = arg;
    IpcMessage m;
    memset(&m, 0, sizeof m);
    j->started = 1;
    switch (j->op) {
    case OP_CHAN_RECV: j->result = sys_chan_recv(j->h, &m); break;
    case OP_CHAN_SEND: j->result = sys_chan_send(j->h, &m); break;
    case OP_SEM_WAIT: j->result = sys_sem_wait(j->h); break;
    case OP_PORT_RECV: j->result = sys_ipc_recv(j->h, &m); break;
    case OP_PORT_SEND: j->result = sys_ipc_send(j->h, &m); break;
    default: j->result = sys_handle_wait(j->h, WAIT_FOREVER); break;
    }
    return 0;
}

/* Runs op on h in a new thread, lets it block, closes h (the last handle)
 * with close_fn, and returns what the thread's call returned. */
static long blocked_then_closed(int op, long h, long (*close_fn)(uint64_t))
{
    static struct job j;
    j.op = op;
    j.h = h;
    j.result = 12345;
    j.started = 0;
    long tid = s9_thread_spawn(worker, &j, thread_stack, sizeof thread_stack, 0);
    if (tid < 0)
        return tid;
    s9_sleep_ns(1000000); /* the thread runs and blocks */
    if (!j.started || j.result != 12345)
        return -1000; /* it did not block */
    long c = close_fn((uint64_t)h);
    if (c != 0)
        return -2000 + c;
    s9_sleep_ns(1000000); /* the thread wakes, returns and exits */
    int status = 0;
    sys_thread_join(tid, &status, 0);
    return j.result;
}

static long chan_close_fn(uint64_t h) { return sys_chan_close(h); }
static long sem_close_fn(uint64_t h) { return sys_sem_close(h); }
static long handle_close_fn(uint64_t h) { return sys_handle_close(h); }

static void test_threads(void)
{
    s9test_note("closing the last handle wakes the tasks blocked on the object with EPIPE (threads)");
    long tid = sys_thread_create(0, 0, 0, 0, 0); /* entry 0: EINVAL where threads exist */
    if (tid == -ENOSYS) {
        s9test_note("SKIP threads: SYS_THREAD_CREATE -> ENOSYS in this kernel model");
        return;
    }
    CHECK_EQ(tid, -EINVAL);
    long c = sys_chan_create(1);
    CHECK_EQ(blocked_then_closed(OP_CHAN_RECV, c, chan_close_fn), -EPIPE);
    long full = sys_chan_create(1);
    IpcMessage m;
    memset(&m, 0, sizeof m);
    CHECK_EQ(sys_chan_send(full, &m), 0);
    CHECK_EQ(blocked_then_closed(OP_CHAN_SEND, full, chan_close_fn), -EPIPE);
    CHECK_EQ(blocked_then_closed(OP_CHAN_RECV, sys_chan_create(4), handle_close_fn), -EPIPE);
    CHECK_EQ(blocked_then_closed(OP_SEM_WAIT, sys_sem_create(0), sem_close_fn), -EPIPE);
    CHECK_EQ(blocked_then_closed(OP_SEM_WAIT, sys_sem_create(0), sys_handle_revoke), -EPIPE);
    CHECK_EQ(blocked_then_closed(OP_HANDLE_WAIT, sys_sem_create(0), sem_close_fn), -EPIPE);
    /* a port closed by its owner (this main thread created it) */
    CHECK_EQ(blocked_then_closed(OP_PORT_RECV, sys_ipc_create_port(0), handle_close_fn), -EPIPE);
    long fullp = sys_ipc_create_port(0);
    int bad = 0;
    for (int i = 0; i < 16; i++)
        bad += sys_ipc_send(fullp, &m) != 0;
    CHECK_EQ(bad, 0);
    CHECK_EQ(blocked_then_closed(OP_PORT_SEND, fullp, handle_close_fn), -EPIPE);
}

/* ---------------------------------------------------------------------- */

static void test_with_peer(void)
{
    IpcMessage m;
    s9test_note("objects live while any process holds a handle; a port lives until its owner exits");
    long port = sys_ipc_create_port(0);
    CHECK_EQ(sys_ipc_bind_port(port, PATH, sizeof PATH - 1), 0);

    memset(&m, 0, sizeof m);
    CHECK_EQ(sys_ipc_recv(port, &m), 0);
    CHECK_EQ(m.msg_type, HELLO);
    long peer = (long)m.sender;
    long sem = sys_sem_create(0);
    long g = sys_handle_grant(sem, peer);
    CHECK_GT(g, 0);
    CHECK_EQ(sys_sem_close(sem), 0); /* the peer's handle keeps the semaphore alive */
    IpcMessage rep;
    memset(&rep, 0, sizeof rep);
    rep.sender = (uint64_t)peer;
    rep.msg_type = HELLO;
    put64(&rep, 0, (uint64_t)g);
    put64(&rep, 1, (uint64_t)mypid);
    CHECK_EQ(sys_ipc_reply(&rep), 0);

    memset(&m, 0, sizeof m);
    CHECK_EQ(sys_ipc_recv(port, &m), 0);
    CHECK_EQ(m.msg_type, STEP2);
    long pp = (long)get64(&m, 0); /* the peer's port, granted to us; the peer closed its own handle */
    HandleInfo hi;
    CHECK_EQ(sys_handle_info(pp, &hi), 0);
    CHECK_EQ(hi.resource_type, RES_IPC_PORT);
    CHECK_EQ(sys_handle_close(pp), 0); /* the last handle, but we are not the owner */
    long c = sys_ipc_connect(PEER_PATH, sizeof PEER_PATH - 1);
    CHECK_GT(c, 0); /* still there */
    CHECK_EQ(sys_handle_wait(c, 0), WAIT_WRITABLE); /* alive and empty */

    int bad = 0;
    for (int i = 0; i < 16; i++) {
        IpcMessage f;
        memset(&f, 0, sizeof f);
        f.msg_type = FILL;
        if (sys_ipc_send(c, &f) != 0)
            bad++;
    }
    CHECK_EQ(bad, 0);
    CHECK_EQ(sys_handle_wait(c, 0), WAIT_READABLE);
    memset(&rep, 0, sizeof rep);
    rep.sender = (uint64_t)peer;
    rep.msg_type = STEP2;
    CHECK_EQ(sys_ipc_reply(&rep), 0); /* the peer sleeps, then exits */

    s9test_note("the owner exits: a blocked sender gets EPIPE");
    memset(&m, 0, sizeof m);
    m.msg_type = FILL;
    CHECK_EQ(sys_ipc_send(c, &m), -EPIPE); /* the 17th: blocks until the port is destroyed */

    s9test_note("afterwards: EBADF through handles (port gone), EPIPE from SYS_HANDLE_WAIT, EBADF from connect");
    CHECK_EQ(sys_ipc_send(c, &m), -EBADF);
    CHECK_EQ(sys_ipc_try_recv(c, &m), -EBADF);
    CHECK_EQ(sys_ipc_recv(c, &m), -EBADF);
    CHECK_EQ(sys_handle_wait(c, 0), -EPIPE);
    CHECK_EQ(sys_ipc_connect(PEER_PATH, sizeof PEER_PATH - 1), -EBADF);
    CHECK_EQ(sys_handle_info(c, &hi), 0); /* our handle is still in our table */
    CHECK_EQ(sys_handle_close(c), 0);
    CHECK_EQ(sys_handle_grant(port, peer), -ENOENT); /* the peer is gone */

    s9test_note("our 16 messages were still queued there: our next call returns the EPIPE error reply");
    memset(&m, 0, sizeof m);
    m.msg_type = MINE;
    CHECK_EQ(sys_ipc_call(port, &m), 0); /* on our own port: returns at once */
    CHECK_EQ(m.msg_type, 0x80);
    CHECK_EQ(payload_u32(&m), 32);
    CHECK_EQ(m.flags, 0);
    memset(&m, 0, sizeof m);
    CHECK_EQ(sys_ipc_try_recv(port, &m), 0); /* the call's own message */
    CHECK_EQ(m.msg_type, MINE);
    CHECK_EQ(m.sender, mypid);
    CHECK_EQ(sys_ipc_try_recv(port, &m), -EAGAIN);
}

int main(void)
{
    mypid = sys_getpid();
    test_threads();
    test_with_peer();
    return s9test_done();
}
