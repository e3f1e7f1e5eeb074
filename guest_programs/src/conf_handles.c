/*
 * conf_handles: conformance of the capability calls, ABI.md section 4
 * (SYS_NULL, SYS_HANDLE_DUPLICATE/CLOSE/WAIT/GRANT/REVOKE/INFO), with exact
 * return values and the documented check order.
 *
 * Run as pid 1 with conf_handles_peer as pid 2:
 *   strat9-emu run conf_handles.elf conf_handles_peer.elf
 * The peer connects to "/conf/handles" and talks to us with SYS_IPC_CALL;
 * we answer with handle numbers granted to it, and it checks them on its
 * side (grant results are valid there, our own numbers are unknown there).
 *
 * Not reachable from a guest, so not checked here: SYS_HANDLE_WAIT's
 * ENOTSUP (every object a guest can create is a port, channel, semaphore or
 * ring) and its EPERM (permissions are only ever copied, never reduced, so
 * no port/channel handle lacks both read and write and no semaphore handle
 * lacks read). The kernel model's unit tests cover those.
 *
 * Exit code = number of failed checks.
 */
#include "strat9.h"
#include "s9test.h"
#include "s9conf.h"

#define BAD_HIGH ((void *)0xdead0000UL)
extern const unsigned char __ehdr_start[];
#define READ_ONLY ((void *)(uintptr_t)__ehdr_start)

/* A number no handle will ever have in this run (ids count up from a small
 * start and are never reused). */
#define UNKNOWN_H 0x7ffffff0UL

static const char PATH[] = "/conf/handles";

/* Message types of our little protocol with the peer. */
enum { HELLO = 1, POSTED = 2, WAIT_TESTS = 3, PORT_GRANTED = 4 };

static int64_t elapsed_since(int64_t t0) { return s9_now_ns() - t0; }

/* ---------------------------------------------------------------------- */

/* port_h: the rendezvous port of the peer; priv_h: a port only we use,
 * conn_h: a connect handle (read|write) to priv_h. */
static long port_h, priv_h, chan_h, sem_h, ring_h, conn_h;
static const char PRIV_PATH[] = "/conf/handles-private";

static void test_null(void)
{
    s9test_note("SYS_NULL (0)");
    CHECK_EQ(sys_null(), 0x57A79);
}

static void test_info(void)
{
    s9test_note("SYS_HANDLE_INFO (6): types and permissions of each object kind");
    port_h = sys_ipc_create_port(0);
    chan_h = sys_chan_create(4);
    sem_h = sys_sem_create(0);
    ring_h = sys_ipc_ring_create(4096);
    CHECK_GT(port_h, 0);
    CHECK_GT(chan_h, 0);
    CHECK_GT(sem_h, 0);
    CHECK_GT(ring_h, 0);
    CHECK_EQ(sys_ipc_bind_port(port_h, PATH, sizeof PATH - 1), 0);
    priv_h = sys_ipc_create_port(0);
    CHECK_GT(priv_h, 0);
    CHECK_EQ(sys_ipc_bind_port(priv_h, PRIV_PATH, sizeof PRIV_PATH - 1), 0);
    conn_h = sys_ipc_connect(PRIV_PATH, sizeof PRIV_PATH - 1);
    CHECK_GT(conn_h, 0);

    HandleInfo hi = {0xffffffffu, 0xffffffffu, ~0UL};
    CHECK_EQ(sys_handle_info(port_h, &hi), 0);
    CHECK_EQ(hi.resource_type, RES_IPC_PORT);
    CHECK_EQ(hi.permissions, PERM_READ | PERM_WRITE | PERM_EXECUTE | PERM_GRANT | PERM_REVOKE);
    CHECK_EQ(hi.permissions, 31);
    CHECK_EQ(info_type(conn_h), 4);
    CHECK_EQ(info_perms(conn_h), PERM_READ | PERM_WRITE);
    /* the connect handle names the very port we bound */
    long priv_id = info_resource(priv_h), port_id = info_resource(port_h);
    CHECK_EQ(info_resource(conn_h), priv_id);
    CHECK_NE(info_resource(conn_h), port_id);
    CHECK_EQ(info_type(chan_h), 5);
    CHECK_EQ(info_perms(chan_h), PERM_READ | PERM_WRITE | PERM_GRANT);
    CHECK_EQ(info_type(sem_h), 7);
    CHECK_EQ(info_perms(sem_h), PERM_READ | PERM_WRITE | PERM_GRANT | PERM_REVOKE);
    CHECK_EQ(info_type(ring_h), 6);
    CHECK_EQ(info_perms(ring_h), PERM_READ | PERM_WRITE | PERM_GRANT | PERM_REVOKE);

    s9test_note("SYS_HANDLE_INFO errors: out == 0 -> EFAULT (before the handle lookup), unknown -> EBADF");
    CHECK_EQ(sys_handle_info(sem_h, NULL), -EFAULT);
    CHECK_EQ(sys_handle_info(UNKNOWN_H, NULL), -EFAULT);
    CHECK_EQ(sys_handle_info(UNKNOWN_H, &hi), -EBADF);
    CHECK_EQ(sys_handle_info(sem_h, BAD_HIGH), -EFAULT);
    CHECK_EQ(sys_handle_info(sem_h, READ_ONLY), -EFAULT);
    CHECK_EQ(__ehdr_start[0], 0x7f); /* left intact */
}

static void test_ids_never_reused(void)
{
    s9test_note("handle ids are never reused");
    long seen[64];
    int n = 0, reused = 0, bad = 0;
    seen[n++] = port_h;
    seen[n++] = chan_h;
    seen[n++] = sem_h;
    seen[n++] = ring_h;
    seen[n++] = conn_h;
    seen[n++] = priv_h;
    for (int round = 0; round < 10; round++) {
        long hs[4];
        hs[0] = sys_sem_create(1);
        hs[1] = sys_chan_create(1);
        hs[2] = sys_ipc_create_port(0);
        hs[3] = sys_handle_duplicate(sem_h);
        for (int i = 0; i < 4; i++) {
            if (hs[i] <= 0)
                bad++;
            for (int j = 0; j < n; j++)
                if (seen[j] == hs[i])
                    reused++;
            if (n < 64)
                seen[n++] = hs[i];
        }
        /* close them all again: their numbers must not come back */
        for (int i = 0; i < 4; i++)
            if (sys_handle_close(hs[i]) != 0)
                bad++;
    }
    CHECK_EQ(bad, 0);
    CHECK_EQ(reused, 0);
    /* a closed number is unknown from then on */
    CHECK_EQ(sys_handle_info(seen[6], NULL), -EFAULT);
    HandleInfo hi;
    CHECK_EQ(sys_handle_info(seen[6], &hi), -EBADF);
    CHECK_EQ(sys_handle_info(seen[n - 1], &hi), -EBADF);
}

static void test_duplicate(void)
{
    s9test_note("SYS_HANDLE_DUPLICATE (1)");
    long d = sys_handle_duplicate(port_h);
    CHECK_GT(d, 0);
    CHECK_NE(d, port_h);
    CHECK_EQ(info_type(d), 4);
    CHECK_EQ(info_perms(d), 31);
    long port_id = info_resource(port_h), chan_id = info_resource(chan_h), sem_id = info_resource(sem_h);
    CHECK_EQ(info_resource(d), port_id);

    long dc = sys_handle_duplicate(chan_h);
    CHECK_GT(dc, 0);
    CHECK_EQ(info_type(dc), 5);
    CHECK_EQ(info_perms(dc), PERM_READ | PERM_WRITE | PERM_GRANT);
    CHECK_EQ(info_resource(dc), chan_id);
    long ds = sys_handle_duplicate(sem_h);
    CHECK_EQ(info_perms(ds), 27);
    CHECK_EQ(info_resource(ds), sem_id);
    long dr = sys_handle_duplicate(ring_h);
    CHECK_EQ(info_type(dr), 6);
    CHECK_EQ(info_perms(dr), 27);
    /* a duplicate of a duplicate */
    long dd = sys_handle_duplicate(ds);
    CHECK_GT(dd, 0);
    CHECK_EQ(info_resource(dd), sem_id);

    /* the duplicate names the same object: a post through one is seen by the other */
    CHECK_EQ(sys_sem_post(ds), 0);
    CHECK_EQ(sys_sem_trywait(sem_h), 0);
    CHECK_EQ(sys_sem_trywait(dd), -EAGAIN);

    s9test_note("SYS_HANDLE_DUPLICATE errors: unknown or without grant -> EPERM");
    CHECK_EQ(sys_handle_duplicate(UNKNOWN_H), -EPERM);
    CHECK_EQ(sys_handle_duplicate(conn_h), -EPERM); /* read|write only */
    CHECK_EQ(sys_handle_close(dd), 0);
    CHECK_EQ(sys_handle_duplicate(dd), -EPERM); /* closed */

    CHECK_EQ(sys_handle_close(d), 0);
    CHECK_EQ(sys_handle_close(dc), 0);
    CHECK_EQ(sys_handle_close(ds), 0);
    CHECK_EQ(sys_handle_close(dr), 0);
}

static void test_close(void)
{
    s9test_note("SYS_HANDLE_CLOSE (2)");
    long s = sys_sem_create(3);
    long c = sys_chan_create(1);
    long p = sys_ipc_create_port(0);
    long r = sys_ipc_ring_create(1);
    long ds = sys_handle_duplicate(s);
    CHECK_EQ(sys_handle_close(s), 0);
    CHECK_EQ(sys_handle_close(c), 0);
    CHECK_EQ(sys_handle_close(p), 0);
    CHECK_EQ(sys_handle_close(r), 0);
    s9test_note("SYS_HANDLE_CLOSE errors: unknown -> EBADF (also a second close)");
    CHECK_EQ(sys_handle_close(s), -EBADF);
    CHECK_EQ(sys_handle_close(c), -EBADF);
    CHECK_EQ(sys_handle_close(UNKNOWN_H), -EBADF);
    CHECK_EQ(sys_handle_close(~0UL), -EBADF);
    /* the object lives on through its other handle */
    CHECK_EQ(sys_sem_trywait(ds), 0);
    CHECK_EQ(sys_handle_close(ds), 0);
    CHECK_EQ(sys_sem_trywait(ds), -EPERM); /* the handle is gone */
}

static void test_wait_local(void)
{
    IpcMessage m;
    s9test_note("SYS_HANDLE_WAIT (3): semaphore readiness and timeouts");
    long s = sys_sem_create(0);
    CHECK_EQ(sys_handle_wait(s, 0), -EAGAIN);
    int64_t t0 = s9_now_ns();
    long r = sys_handle_wait(s, 2000000); /* 2 ms of virtual time */
    int64_t dt = elapsed_since(t0);
    CHECK_EQ(r, -ETIMEDOUT);
    CHECK_GE(dt, 2000000);
    CHECK_LT(dt, 1000000000);
    CHECK_EQ(sys_sem_post(s), 0);
    CHECK_EQ(sys_handle_wait(s, 0), WAIT_READABLE);
    CHECK_EQ(sys_handle_wait(s, 1000000), WAIT_READABLE);
    CHECK_EQ(sys_handle_wait(s, WAIT_FOREVER), WAIT_READABLE);
    /* waiting does not take the count */
    CHECK_EQ(sys_sem_trywait(s), 0);
    CHECK_EQ(sys_handle_wait(s, 0), -EAGAIN);
    CHECK_EQ(sys_handle_close(s), 0);

    s9test_note("SYS_HANDLE_WAIT: port readiness (readable with a message, writable with room)");
    long p = sys_ipc_create_port(0);
    CHECK_EQ(sys_handle_wait(p, 0), WAIT_WRITABLE);
    memset(&m, 0, sizeof m);
    m.msg_type = 7;
    CHECK_EQ(sys_ipc_send(p, &m), 0);
    CHECK_EQ(sys_handle_wait(p, 0), WAIT_READABLE | WAIT_WRITABLE);
    int fails = 0;
    for (int i = 1; i < 16; i++)
        if (sys_ipc_send(p, &m) != 0)
            fails++;
    CHECK_EQ(fails, 0);
    CHECK_EQ(sys_handle_wait(p, 0), WAIT_READABLE); /* full: 16 queued */
    CHECK_EQ(sys_handle_wait(p, WAIT_FOREVER), WAIT_READABLE);
    for (int i = 0; i < 16; i++)
        if (sys_ipc_try_recv(p, &m) != 0)
            fails++;
    CHECK_EQ(fails, 0);
    CHECK_EQ(sys_handle_wait(p, 0), WAIT_WRITABLE);
    /* a connect handle (read|write) sees the same */
    CHECK_EQ(sys_handle_wait(conn_h, 0), WAIT_WRITABLE);
    CHECK_EQ(sys_ipc_send(conn_h, &m), 0);
    CHECK_EQ(sys_handle_wait(conn_h, 0), WAIT_READABLE | WAIT_WRITABLE);
    CHECK_EQ(sys_ipc_try_recv(priv_h, &m), 0);
    CHECK_EQ(sys_handle_wait(priv_h, 0), WAIT_WRITABLE);
    CHECK_EQ(sys_handle_close(p), 0);

    s9test_note("SYS_HANDLE_WAIT: channel readiness");
    long c = sys_chan_create(2);
    CHECK_EQ(sys_handle_wait(c, 0), WAIT_WRITABLE);
    CHECK_EQ(sys_chan_send(c, &m), 0);
    CHECK_EQ(sys_handle_wait(c, 0), WAIT_READABLE | WAIT_WRITABLE);
    CHECK_EQ(sys_chan_send(c, &m), 0);
    CHECK_EQ(sys_handle_wait(c, 0), WAIT_READABLE); /* full */
    CHECK_EQ(sys_chan_try_recv(c, &m), 0);
    CHECK_EQ(sys_chan_try_recv(c, &m), 0);
    CHECK_EQ(sys_handle_wait(c, 0), WAIT_WRITABLE);
    CHECK_EQ(sys_handle_close(c), 0);

    s9test_note("SYS_HANDLE_WAIT: ring readiness by permission alone");
    CHECK_EQ(sys_handle_wait(ring_h, 0), WAIT_READABLE | WAIT_WRITABLE);
    CHECK_EQ(sys_handle_wait(ring_h, WAIT_FOREVER), WAIT_READABLE | WAIT_WRITABLE);

    s9test_note("SYS_HANDLE_WAIT errors: unknown -> EBADF");
    CHECK_EQ(sys_handle_wait(UNKNOWN_H, 0), -EBADF);
    CHECK_EQ(sys_handle_wait(c, 0), -EBADF); /* closed */
}

static void test_revoke(void)
{
    s9test_note("SYS_HANDLE_REVOKE (5)");
    long s = sys_sem_create(0);
    long ds = sys_handle_duplicate(s);
    CHECK_EQ(sys_handle_revoke(ds), 0);
    CHECK_EQ(sys_handle_info(ds, &(HandleInfo){0, 0, 0}), -EBADF); /* as close */
    CHECK_EQ(sys_sem_post(s), 0);                                 /* the object lives on */
    CHECK_EQ(sys_handle_revoke(s), 0);
    long r = sys_ipc_ring_create(100);
    CHECK_EQ(sys_handle_revoke(r), 0);
    long p = sys_ipc_create_port(0);
    CHECK_EQ(sys_handle_revoke(p), 0); /* a created port has every permission */
    s9test_note("SYS_HANDLE_REVOKE errors: unknown -> EBADF, no revoke permission -> EPERM");
    CHECK_EQ(sys_handle_revoke(UNKNOWN_H), -EBADF);
    CHECK_EQ(sys_handle_revoke(s), -EBADF); /* already revoked */
    long c = sys_chan_create(1);
    CHECK_EQ(sys_handle_revoke(c), -EPERM); /* channel: read|write|grant */
    CHECK_EQ(info_type(c), 5);              /* still there */
    CHECK_EQ(sys_handle_revoke(conn_h), -EPERM);
    CHECK_EQ(info_type(conn_h), 4);
    CHECK_EQ(sys_handle_close(c), 0);
}

/* ---------------------------------------------------------------------- */
/* With the peer: grant, cross-process numbers, blocking waits, EPIPE.     */

static long recv_from_peer(IpcMessage *m, uint32_t want_type)
{
    memset(m, 0, sizeof *m);
    long r = sys_ipc_recv(port_h, m);
    if (r == 0 && m->msg_type != want_type) {
        s9test_note("unexpected message type %u (wanted %u)", m->msg_type, want_type);
        return -1;
    }
    return r;
}

static void test_with_peer(void)
{
    IpcMessage m;
    HandleInfo hi;

    s9test_note("waiting for conf_handles_peer");
    CHECK_EQ(recv_from_peer(&m, HELLO), 0);
    long peer = (long)m.sender;
    CHECK_GT(peer, 0);
    CHECK_NE(peer, sys_getpid());

    s9test_note("SYS_HANDLE_GRANT (4)");
    long s = sys_sem_create(0);
    long g = sys_handle_grant(s, peer);
    CHECK_GT(g, 0);
    CHECK_NE(g, s);
    /* valid in the peer's table, unknown in ours */
    CHECK_EQ(sys_handle_info(g, &hi), -EBADF);
    CHECK_EQ(sys_sem_post(g), -EPERM);
    /* grant to ourselves: a new handle valid here */
    long self = sys_handle_grant(s, sys_getpid());
    CHECK_GT(self, 0);
    long s_id = info_resource(s);
    CHECK_EQ(info_resource(self), s_id);
    CHECK_EQ(info_perms(self), 27);

    s9test_note("SYS_HANDLE_GRANT errors, in check order");
    CHECK_EQ(sys_handle_grant(s, 1UL << 32), -EINVAL);
    CHECK_EQ(sys_handle_grant(s, ~0UL), -EINVAL);
    CHECK_EQ(sys_handle_grant(UNKNOWN_H, 1UL << 32), -EINVAL); /* pid checked before the handle */
    CHECK_EQ(sys_handle_grant(UNKNOWN_H, peer), -EBADF);
    CHECK_EQ(sys_handle_grant(conn_h, peer), -EPERM); /* no grant permission */
    CHECK_EQ(sys_handle_grant(UNKNOWN_H, 4000), -EBADF);
    CHECK_EQ(sys_handle_grant(conn_h, 4000), -EPERM);
    CHECK_EQ(sys_handle_grant(s, 4000), -ENOENT); /* no such process */
    CHECK_EQ(sys_handle_grant(s, 0xffffffffUL), -ENOENT);

    /* the peer checks g and our own number s on its side, then posts via g */
    IpcMessage rep;
    memset(&rep, 0, sizeof rep);
    rep.sender = (uint64_t)peer;
    rep.msg_type = HELLO;
    put64(&rep, 0, (uint64_t)g);
    put64(&rep, 1, (uint64_t)s);
    CHECK_EQ(sys_ipc_reply(&rep), 0);

    CHECK_EQ(recv_from_peer(&m, POSTED), 0);
    CHECK_EQ(sys_sem_trywait(s), 0); /* the peer's post through g */
    CHECK_EQ(sys_sem_trywait(self), -EAGAIN);

    s9test_note("SYS_HANDLE_WAIT woken by another process");
    long s_forever = sys_sem_create(0), s_timed = sys_sem_create(0);
    long g1 = sys_handle_grant(s_forever, peer), g2 = sys_handle_grant(s_timed, peer);
    CHECK_GT(g1, 0);
    CHECK_GT(g2, 0);
    memset(&rep, 0, sizeof rep);
    rep.sender = (uint64_t)peer;
    rep.msg_type = WAIT_TESTS;
    put64(&rep, 0, (uint64_t)g1);
    put64(&rep, 1, (uint64_t)g2);
    put64(&rep, 2, (uint64_t)sys_getpid());
    CHECK_EQ(sys_ipc_reply(&rep), 0);
    /* the peer sleeps 1 ms, posts g1, sleeps 1 ms, posts g2 */
    int64_t t0 = s9_now_ns();
    long r1 = sys_handle_wait(s_forever, WAIT_FOREVER);
    int64_t dt1 = elapsed_since(t0);
    CHECK_EQ(r1, WAIT_READABLE);
    CHECK_GE(dt1, 1000000);
    t0 = s9_now_ns();
    long r2 = sys_handle_wait(s_timed, 1000000000); /* 1 s, woken after ~1 ms */
    int64_t dt2 = elapsed_since(t0);
    CHECK_EQ(r2, WAIT_READABLE);
    CHECK_GE(dt2, 1000000);
    CHECK_LT(dt2, 1000000000);

    s9test_note("SYS_HANDLE_WAIT on a destroyed port -> EPIPE");
    CHECK_EQ(recv_from_peer(&m, PORT_GRANTED), 0);
    long pp = (long)get64(&m, 0); /* the peer's own port, granted to us */
    CHECK_EQ(info_type(pp), 4);
    CHECK_EQ(info_perms(pp), 31);
    CHECK_EQ(sys_handle_wait(pp, 0), WAIT_WRITABLE);
    memset(&rep, 0, sizeof rep);
    rep.sender = (uint64_t)peer;
    rep.msg_type = PORT_GRANTED;
    CHECK_EQ(sys_ipc_reply(&rep), 0);
    /* the peer now exits: its port goes with it */
    s9_sleep_ns(5000000);
    CHECK_EQ(sys_handle_wait(pp, 0), -EPIPE);
    CHECK_EQ(sys_handle_wait(pp, WAIT_FOREVER), -EPIPE);
    CHECK_EQ(sys_handle_wait(pp, 1000), -EPIPE);
    CHECK_EQ(info_type(pp), 4); /* the handle itself is still ours */
    CHECK_EQ(sys_handle_close(pp), 0);
    /* and the peer is gone: grant finds no process */
    CHECK_EQ(sys_handle_grant(s, peer), -ENOENT);
}

int main(void)
{
    test_null();
    test_info();
    test_ids_never_reused();
    test_duplicate();
    test_close();
    test_wait_local();
    test_revoke();
    test_with_peer();
    return s9test_done();
}
