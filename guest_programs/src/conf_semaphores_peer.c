/*
 * conf_semaphores_peer: a waiter of conf_semaphores (ABI.md section 7); two
 * copies run. Gets two semaphores granted (go, done), blocks in
 * SYS_SEM_WAIT(go), and once woken checks the count was taken, posts done
 * and exits.
 * Exit code = number of failed checks.
 */
#include "strat9.h"
#include "s9test.h"
#include "s9conf.h"

static const char PATH[] = "/conf/semaphores";
enum { HELLO = 1 };

int main(void)
{
    IpcMessage m;
    HandleInfo hi;

    s9test_note("conf_semaphores_peer: pid %ld", sys_getpid());
    long h = connect_retry(PATH, sizeof PATH - 1);
    CHECK_GT(h, 0);
    memset(&m, 0, sizeof m);
    m.msg_type = HELLO;
    CHECK_EQ(sys_ipc_call(h, &m), 0);
    long go = (long)get64(&m, 0), done = (long)get64(&m, 1);
    CHECK_EQ(sys_handle_info(go, &hi), 0);
    CHECK_EQ(hi.resource_type, RES_SEMAPHORE);
    CHECK_EQ(hi.permissions, 27); /* a grant copies the permissions */

    CHECK_EQ(sys_sem_trywait(go), -EAGAIN);
    CHECK_EQ(sys_sem_wait(go), 0);          /* blocks until conf_semaphores posts */
    CHECK_EQ(sys_sem_trywait(go), -EAGAIN); /* we took the only count */
    CHECK_EQ(sys_sem_post(done), 0);
    return s9test_done();
}
