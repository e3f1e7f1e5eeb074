/*
 * conf_lifetime_peer: the second process of conf_lifetime (ABI.md sections
 * 4 and 5, object lifetime). Uses a semaphore whose only other handle
 * conf_lifetime closed (it lives on), grants its own port to conf_lifetime
 * and closes its own handle to it (the port lives on: conf_lifetime holds
 * one, then none, and it is still reachable by path), then exits while
 * conf_lifetime is blocked sending into that full port: the owner's exit
 * destroys the port.
 * Exit code = number of failed checks.
 */
#include "strat9.h"
#include "s9test.h"
#include "s9conf.h"

static const char PATH[] = "/conf/lifetime";
static const char PEER_PATH[] = "/conf/lifetime-peer";
enum { HELLO = 1, STEP2 = 2 };

int main(void)
{
    IpcMessage m;

    s9test_note("conf_lifetime_peer: pid %ld", sys_getpid());
    long own = sys_ipc_create_port(0);
    CHECK_EQ(sys_ipc_bind_port(own, PEER_PATH, sizeof PEER_PATH - 1), 0);
    long h = connect_retry(PATH, sizeof PATH - 1);
    CHECK_GT(h, 0);
    memset(&m, 0, sizeof m);
    m.msg_type = HELLO;
    CHECK_EQ(sys_ipc_call(h, &m), 0);
    long sem = (long)get64(&m, 0);
    long main_pid = (long)get64(&m, 1);

    s9test_note("peer: the semaphore outlives the creator's handle");
    CHECK_EQ(sys_sem_post(sem), 0);
    CHECK_EQ(sys_sem_trywait(sem), 0);
    CHECK_EQ(sys_sem_trywait(sem), -EAGAIN);

    s9test_note("peer: our port, granted away, outlives our own handle to it");
    long theirs = sys_handle_grant(own, main_pid);
    CHECK_GT(theirs, 0);
    CHECK_EQ(sys_handle_close(own), 0);
    memset(&m, 0, sizeof m);
    m.msg_type = STEP2;
    put64(&m, 0, (uint64_t)theirs);
    CHECK_EQ(sys_ipc_call(h, &m), 0);
    CHECK_EQ(m.msg_type, STEP2);

    s9_sleep_ns(2000000); /* conf_lifetime blocks sending into our full port */
    s9test_note("conf_lifetime_peer: exiting (the owner of that port)");
    return s9test_done();
}
