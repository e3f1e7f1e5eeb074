/*
 * conf_unpriv: the IPC calls as an *unprivileged* task sees them (ABI.md
 * section 3 applied to sections 4-7): an unknown handle fails the
 * enforce_cap step with EBADF before any other check (where an admin task
 * gets EPERM, EINVAL or EFAULT first), bind and unbind fail with EPERM
 * (before any other check), SYS_DEBUG_LOG fails with EPERM; its own
 * handles work as usual.
 *
 * It must run unprivileged, as pid 2, beside the admin reporter:
 *   strat9-emu run --unprivileged 2 conf_unpriv_peer.elf conf_unpriv.elf
 * An unprivileged task has no console, so every check result is sent to
 * conf_unpriv_peer ("/conf/unpriv-log"), which prints the TAP lines.
 * Exit code = number of failed checks.
 */
#include "strat9.h"

#define UNKNOWN_H 0x7ffffff0UL
#define BAD_HIGH ((void *)0xdead0000UL)

static const char LOG_PATH[] = "/conf/unpriv-log";
enum { RESULT = 1, DONE = 2 };

static long log_h = -1;
static int failed;

/* payload: u16 ok, u16 source line, i64 got, i64 want, then the start of
 * the check's text (27 bytes, without a leading "sys_") */
static void report(int ok, int line, long got, long want, const char *text)
{
    IpcMessage m;
    memset(&m, 0, sizeof m);
    m.msg_type = RESULT;
    uint16_t okv = (uint16_t)ok, linev = (uint16_t)line;
    memcpy(m.payload, &okv, 2);
    memcpy(m.payload + 2, &linev, 2);
    memcpy(m.payload + 4, &got, 8);
    memcpy(m.payload + 12, &want, 8);
    if (strncmp(text, "sys_", 4) == 0)
        text += 4;
    size_t n = strlen(text);
    if (n > IPC_PAYLOAD_SIZE - 21)
        n = IPC_PAYLOAD_SIZE - 21;
    memcpy(m.payload + 20, text, n);
    if (!ok)
        failed++;
    sys_ipc_send(log_h, &m);
}

#define CHECK_EQ(expr, expected)                                                                   \
    do {                                                                                           \
        long got_ = (long)(expr), want_ = (long)(expected);                                        \
        report(got_ == want_, __LINE__, got_, want_, #expr);                                                 \
    } while (0)
#define CHECK_GT(expr, bound)                                                                      \
    do {                                                                                           \
        long got_ = (long)(expr), b_ = (long)(bound);                                              \
        report(got_ > b_, __LINE__, got_, b_, #expr " > " #bound);                                           \
    } while (0)

int main(void)
{
    IpcMessage m;
    HandleInfo hi;
    uint64_t base;

    for (int i = 0; i < 10000 && log_h < 0; i++) {
        log_h = sys_ipc_connect(LOG_PATH, sizeof LOG_PATH - 1); /* connect needs no privilege */
        if (log_h < 0)
            sys_proc_yield();
    }
    if (log_h < 0)
        return 100;

    /* unknown handles: EBADF before anything else */
    memset(&m, 0, sizeof m);
    CHECK_EQ(sys_handle_duplicate(UNKNOWN_H), -EBADF);
    CHECK_EQ(sys_handle_close(UNKNOWN_H), -EBADF);
    CHECK_EQ(sys_handle_wait(UNKNOWN_H, 0), -EBADF);
    CHECK_EQ(sys_handle_wait(UNKNOWN_H, 1000), -EBADF);
    CHECK_EQ(sys_handle_grant(UNKNOWN_H, 1UL << 32), -EBADF);
    CHECK_EQ(sys_handle_revoke(UNKNOWN_H), -EBADF);
    CHECK_EQ(sys_handle_info(UNKNOWN_H, NULL), -EBADF);
    CHECK_EQ(sys_ipc_send(UNKNOWN_H, &m), -EBADF);
    CHECK_EQ(sys_ipc_send(UNKNOWN_H, NULL), -EBADF);
    CHECK_EQ(sys_ipc_recv(UNKNOWN_H, &m), -EBADF);
    CHECK_EQ(sys_ipc_try_recv(UNKNOWN_H, NULL), -EBADF);
    CHECK_EQ(sys_ipc_call(UNKNOWN_H, NULL), -EBADF);
    CHECK_EQ(sys_ipc_ring_map(UNKNOWN_H, NULL), -EBADF);
    CHECK_EQ(sys_chan_send(UNKNOWN_H, NULL), -EBADF);
    CHECK_EQ(sys_chan_recv(UNKNOWN_H, NULL), -EBADF);
    CHECK_EQ(sys_chan_try_recv(UNKNOWN_H, &m), -EBADF);
    CHECK_EQ(sys_chan_close(UNKNOWN_H), -EBADF);
    CHECK_EQ(sys_sem_wait(UNKNOWN_H), -EBADF);
    CHECK_EQ(sys_sem_trywait(UNKNOWN_H), -EBADF);
    CHECK_EQ(sys_sem_post(UNKNOWN_H), -EBADF);
    CHECK_EQ(sys_sem_close(UNKNOWN_H), -EBADF);

    /* bind and unbind: EPERM, before the other checks */
    long p = sys_ipc_create_port(0);
    CHECK_GT(p, 0);
    CHECK_EQ(sys_ipc_bind_port(p, "/conf/unpriv/x", 14), -EPERM);
    CHECK_EQ(sys_ipc_bind_port(UNKNOWN_H, NULL, 0), -EPERM);
    CHECK_EQ(sys_ipc_bind_port(p, "/", 1), -EPERM);
    CHECK_EQ(sys_ipc_unbind_port(LOG_PATH, sizeof LOG_PATH - 1), -EPERM);
    CHECK_EQ(sys_ipc_unbind_port(NULL, 0), -EPERM);
    CHECK_EQ(sys_ipc_unbind_port("/nowhere", 8), -EPERM);
    CHECK_EQ(sys_ipc_connect(LOG_PATH, sizeof LOG_PATH - 1) > 0, 1); /* still bound */
    CHECK_EQ(sys_ipc_connect("/conf/unpriv/x", 14), -ENOENT);        /* never bound */

    /* no console */
    CHECK_EQ(sys_debug_log("hello", 5), -EPERM);

    /* own handles behave as for an admin task */
    CHECK_EQ(sys_handle_info(p, &hi), 0);
    CHECK_EQ(hi.resource_type, RES_IPC_PORT);
    CHECK_EQ(hi.permissions, 31);
    CHECK_EQ(sys_handle_info(p, NULL), -EFAULT);
    memset(&m, 0, sizeof m);
    m.msg_type = 0x99;
    CHECK_EQ(sys_ipc_send(p, &m), 0);
    memset(&m, 0, sizeof m);
    CHECK_EQ(sys_ipc_try_recv(p, &m), 0);
    CHECK_EQ(m.msg_type, 0x99);
    CHECK_EQ(m.sender, sys_getpid());
    CHECK_EQ(sys_ipc_send(p, NULL), -EFAULT);
    long d = sys_handle_duplicate(p);
    CHECK_GT(d, 0);
    CHECK_EQ(sys_handle_close(d), 0);
    CHECK_EQ(sys_handle_close(d), -EBADF);
    long s = sys_sem_create(1);
    CHECK_EQ(sys_sem_trywait(s), 0);
    CHECK_EQ(sys_sem_trywait(s), -EAGAIN);
    CHECK_EQ(sys_sem_post(s), 0);
    CHECK_EQ(sys_handle_wait(s, 0), WAIT_READABLE);
    long c = sys_chan_create(2);
    memset(&m, 0, sizeof m);
    CHECK_EQ(sys_chan_send(c, &m), 0);
    CHECK_EQ(sys_chan_try_recv(c, &m), 0);
    CHECK_EQ(sys_chan_close(c), 0);
    long r = sys_ipc_ring_create(10);
    base = 0;
    CHECK_EQ(sys_ipc_ring_map(r, &base), 4096);
    CHECK_EQ(base >= 0x60000000UL, 1);
    CHECK_EQ(sys_ipc_ring_map(r, BAD_HIGH), -EFAULT);
    /* grant to the admin reporter (pid 1): allowed outside a silo */
    CHECK_GT(sys_handle_grant(s, 1), 0);
    CHECK_EQ(sys_handle_grant(s, 1UL << 32), -EINVAL);
    CHECK_EQ(sys_handle_revoke(s), 0);

    memset(&m, 0, sizeof m);
    m.msg_type = DONE;
    sys_ipc_send(log_h, &m);
    return failed;
}
