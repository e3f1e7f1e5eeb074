/*
 * conf_handles_peer: the second process of conf_handles (ABI.md section 4).
 * Connects to "/conf/handles" and, through SYS_IPC_CALL:
 *  - receives a handle granted to it and a number valid only in conf_handles:
 *    the first works here, the second is unknown here;
 *  - posts semaphores conf_handles waits on (SYS_HANDLE_WAIT wake-ups);
 *  - grants its own port to conf_handles and exits, which destroys the port
 *    (EPIPE for conf_handles' SYS_HANDLE_WAIT).
 * Exit code = number of failed checks.
 */
#include "strat9.h"
#include "s9test.h"
#include "s9conf.h"

static const char PATH[] = "/conf/handles";

enum { HELLO = 1, POSTED = 2, WAIT_TESTS = 3, PORT_GRANTED = 4 };

static long call(long h, IpcMessage *m, uint32_t type)
{
    m->msg_type = type;
    return sys_ipc_call(h, m);
}

int main(void)
{
    IpcMessage m;
    HandleInfo hi;

    s9test_note("conf_handles_peer: pid %ld", sys_getpid());
    long h = connect_retry(PATH, sizeof PATH - 1);
    CHECK_GT(h, 0);

    memset(&m, 0, sizeof m);
    CHECK_EQ(call(h, &m, HELLO), 0);
    CHECK_EQ(m.msg_type, HELLO);
    long g = (long)get64(&m, 0);   /* granted to us */
    long own = (long)get64(&m, 1); /* conf_handles' own number */

    s9test_note("peer: a granted handle is valid here, the granter's number is not");
    CHECK_EQ(sys_handle_info(g, &hi), 0);
    CHECK_EQ(hi.resource_type, RES_SEMAPHORE);
    CHECK_EQ(hi.permissions, PERM_READ | PERM_WRITE | PERM_GRANT | PERM_REVOKE);
    CHECK_EQ(sys_handle_info(own, &hi), -EBADF);
    CHECK_EQ(sys_sem_post(own), -EPERM);
    CHECK_EQ(sys_handle_close(own), -EBADF);
    CHECK_EQ(sys_handle_duplicate(own), -EPERM);
    CHECK_EQ(sys_sem_post(g), 0);

    memset(&m, 0, sizeof m);
    CHECK_EQ(call(h, &m, POSTED), 0);
    CHECK_EQ(m.msg_type, WAIT_TESTS);
    long g1 = (long)get64(&m, 0), g2 = (long)get64(&m, 1);
    long main_pid = (long)get64(&m, 2);
    s9_sleep_ns(1000000);
    CHECK_EQ(sys_sem_post(g1), 0);
    s9_sleep_ns(1000000);
    CHECK_EQ(sys_sem_post(g2), 0);

    s9test_note("peer: granting our port to conf_handles, then exiting");
    long pp = sys_ipc_create_port(0);
    CHECK_GT(pp, 0);
    long their = sys_handle_grant(pp, main_pid);
    CHECK_GT(their, 0);
    memset(&m, 0, sizeof m);
    put64(&m, 0, (uint64_t)their);
    CHECK_EQ(call(h, &m, PORT_GRANTED), 0);
    CHECK_EQ(m.msg_type, PORT_GRANTED);
    return s9test_done();
}
