/*
 * conf_semaphores: conformance of the semaphore calls, ABI.md section 7
 * (SYS_SEM_CREATE/WAIT/TRYWAIT/POST/CLOSE, 230-234): the EINVAL limits of
 * create (above i32 max, above u32 max), EAGAIN, post at i32 max -> EINVAL,
 * the errors in upstream order (missing handle or permission: EPERM, other
 * type: EBADF; close: EBADF), and across processes: wait blocks while the
 * count is 0 and each post wakes exactly one waiter.
 * EPIPE for waiters of a semaphore destroyed by its last close needs a
 * second thread of the holder: see conf_lifetime.
 *
 * Run as pid 1 with two copies of conf_semaphores_peer (pids 2 and 3):
 *   strat9-emu run conf_semaphores.elf conf_semaphores_peer.elf conf_semaphores_peer.elf
 * Exit code = number of failed checks.
 */
#include "strat9.h"
#include "s9test.h"
#include "s9conf.h"

#define UNKNOWN_H 0x7ffffff0UL
#define I32_MAX 2147483647L

static const char PATH[] = "/conf/semaphores";
enum { HELLO = 1 };

/* Take the count down to 0 with trywait; returns how many it took (up to limit). */
static long drain(long s, long limit)
{
    long n = 0;
    while (n < limit && sys_sem_trywait(s) == 0)
        n++;
    return n;
}

static void test_create(void)
{
    HandleInfo hi;
    s9test_note("SYS_SEM_CREATE (230): initial above i32 max or u32 max -> EINVAL");
    long s0 = sys_sem_create(0);
    CHECK_GT(s0, 0);
    CHECK_EQ(sys_handle_info(s0, &hi), 0);
    CHECK_EQ(hi.resource_type, RES_SEMAPHORE);
    CHECK_EQ(hi.permissions, PERM_READ | PERM_WRITE | PERM_GRANT | PERM_REVOKE);
    CHECK_EQ(sys_sem_trywait(s0), -EAGAIN);
    long s5 = sys_sem_create(5);
    CHECK_GT(s5, 0);
    CHECK_EQ(drain(s5, 100), 5);
    long smax = sys_sem_create(I32_MAX);
    CHECK_GT(smax, 0);
    CHECK_EQ(sys_sem_create(I32_MAX + 1), -EINVAL);
    CHECK_EQ(sys_sem_create(0xffffffffUL), -EINVAL);
    CHECK_EQ(sys_sem_create(0x100000000UL), -EINVAL);
    CHECK_EQ(sys_sem_create(0x100000001UL), -EINVAL); /* not truncated to 1 */
    CHECK_EQ(sys_sem_create(~0UL), -EINVAL);

    s9test_note("SYS_SEM_POST (233) at i32 max -> EINVAL, count unchanged");
    CHECK_EQ(sys_sem_post(smax), -EINVAL);
    CHECK_EQ(sys_sem_trywait(smax), 0);
    CHECK_EQ(sys_sem_post(smax), 0);
    CHECK_EQ(sys_sem_post(smax), -EINVAL);
    long snear = sys_sem_create(I32_MAX - 2);
    CHECK_EQ(sys_sem_post(snear), 0);
    CHECK_EQ(sys_sem_post(snear), 0);
    CHECK_EQ(sys_sem_post(snear), -EINVAL);
    CHECK_EQ(sys_sem_close(s0), 0);
    CHECK_EQ(sys_sem_close(s5), 0);
    CHECK_EQ(sys_sem_close(smax), 0);
    CHECK_EQ(sys_sem_close(snear), 0);
}

static void test_ops(void)
{
    s9test_note("SYS_SEM_WAIT (231) / SYS_SEM_TRYWAIT (232) / SYS_SEM_POST (233)");
    long s = sys_sem_create(2);
    CHECK_EQ(sys_sem_wait(s), 0); /* count > 0: no blocking */
    CHECK_EQ(sys_sem_wait(s), 0);
    CHECK_EQ(sys_sem_trywait(s), -EAGAIN);
    CHECK_EQ(sys_sem_post(s), 0);
    CHECK_EQ(sys_sem_post(s), 0);
    CHECK_EQ(sys_sem_post(s), 0);
    CHECK_EQ(sys_sem_trywait(s), 0);
    CHECK_EQ(sys_sem_wait(s), 0);
    CHECK_EQ(sys_sem_trywait(s), 0);
    CHECK_EQ(sys_sem_trywait(s), -EAGAIN);
    CHECK_EQ(sys_sem_trywait(s), -EAGAIN);

    s9test_note("semaphore errors: unknown handle -> EPERM; another type -> EBADF");
    long port = sys_ipc_create_port(0), chan = sys_chan_create(1), ring = sys_ipc_ring_create(1);
    CHECK_EQ(sys_sem_wait(UNKNOWN_H), -EPERM);
    CHECK_EQ(sys_sem_trywait(UNKNOWN_H), -EPERM);
    CHECK_EQ(sys_sem_post(UNKNOWN_H), -EPERM);
    CHECK_EQ(sys_sem_wait(port), -EBADF);
    CHECK_EQ(sys_sem_wait(chan), -EBADF);
    CHECK_EQ(sys_sem_wait(ring), -EBADF);
    CHECK_EQ(sys_sem_trywait(port), -EBADF);
    CHECK_EQ(sys_sem_trywait(chan), -EBADF);
    CHECK_EQ(sys_sem_trywait(ring), -EBADF);
    CHECK_EQ(sys_sem_post(port), -EBADF);
    CHECK_EQ(sys_sem_post(chan), -EBADF);
    CHECK_EQ(sys_sem_post(ring), -EBADF);

    s9test_note("SYS_SEM_CLOSE (234): unknown or not a semaphore -> EBADF");
    CHECK_EQ(sys_sem_close(UNKNOWN_H), -EBADF);
    CHECK_EQ(sys_sem_close(port), -EBADF);
    CHECK_EQ(sys_sem_close(chan), -EBADF);
    CHECK_EQ(sys_sem_close(ring), -EBADF);
    CHECK_EQ(sys_handle_info(port, &(HandleInfo){0, 0, 0}), 0); /* untouched */
    long d = sys_handle_duplicate(s);
    CHECK_EQ(sys_sem_close(s), 0);
    CHECK_EQ(sys_sem_close(s), -EBADF);
    CHECK_EQ(sys_sem_post(s), -EPERM); /* the handle is gone ... */
    CHECK_EQ(sys_sem_post(d), 0);      /* ... the semaphore is not */
    CHECK_EQ(sys_sem_trywait(d), 0);
    CHECK_EQ(sys_handle_close(d), 0); /* SYS_HANDLE_CLOSE works on semaphores too */
    CHECK_EQ(sys_sem_trywait(d), -EPERM);
    sys_handle_close(port);
    sys_handle_close(chan);
    sys_handle_close(ring);
}

static void test_with_peers(void)
{
    IpcMessage m;
    s9test_note("across processes: waiters block while the count is 0; each post wakes exactly one");
    long port = sys_ipc_create_port(0);
    CHECK_EQ(sys_ipc_bind_port(port, PATH, sizeof PATH - 1), 0);
    long go = sys_sem_create(0), done = sys_sem_create(0);
    for (int i = 0; i < 2; i++) {
        memset(&m, 0, sizeof m);
        CHECK_EQ(sys_ipc_recv(port, &m), 0);
        CHECK_EQ(m.msg_type, HELLO);
        long peer = (long)m.sender;
        long g = sys_handle_grant(go, peer), d = sys_handle_grant(done, peer);
        CHECK_GT(g, 0);
        CHECK_GT(d, 0);
        IpcMessage rep;
        memset(&rep, 0, sizeof rep);
        rep.sender = (uint64_t)peer;
        rep.msg_type = HELLO;
        put64(&rep, 0, (uint64_t)g);
        put64(&rep, 1, (uint64_t)d);
        CHECK_EQ(sys_ipc_reply(&rep), 0);
    }
    s9_sleep_ns(2000000); /* both peers block in SYS_SEM_WAIT(go) */
    CHECK_EQ(sys_sem_trywait(done), -EAGAIN);

    CHECK_EQ(sys_sem_post(go), 0);
    CHECK_EQ(sys_sem_wait(done), 0); /* blocks until the woken peer posts */
    s9_sleep_ns(2000000);
    CHECK_EQ(sys_sem_trywait(done), -EAGAIN); /* the other peer still waits */
    CHECK_EQ(sys_sem_trywait(go), -EAGAIN);   /* the post was taken by the waiter */

    CHECK_EQ(sys_sem_post(go), 0);
    CHECK_EQ(sys_sem_wait(done), 0);
    s9_sleep_ns(2000000);
    CHECK_EQ(sys_sem_trywait(done), -EAGAIN);
    CHECK_EQ(sys_sem_trywait(go), -EAGAIN);
}

int main(void)
{
    test_create();
    test_ops();
    test_with_peers();
    return s9test_done();
}
