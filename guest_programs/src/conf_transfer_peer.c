/*
 * conf_transfer_peer: the sender of conf_transfer (ABI.md section 5, handle
 * transfer). Queues five messages on "/conf/transfer" whose flags name: its
 * semaphore, its channel, its connect handle (no grant), a semaphore it
 * closes right after sending, and a last semaphore; then waits on its
 * channel for conf_transfer (which received the channel from us), checks
 * the post conf_transfer made through the received semaphore, and exits
 * before conf_transfer receives the last message.
 * Exit code = number of failed checks.
 */
#include "strat9.h"
#include "s9test.h"
#include "s9conf.h"

static const char PATH[] = "/conf/transfer";
enum { T_SEM = 1, T_CHAN = 2, T_NOGRANT = 3, T_CLOSED = 4, T_LAST = 5 };

static long send_flags(long h, uint32_t type, long flags)
{
    IpcMessage m;
    memset(&m, 0, sizeof m);
    m.msg_type = type;
    m.flags = (uint32_t)flags;
    return sys_ipc_send(h, &m);
}

int main(void)
{
    IpcMessage m;

    s9test_note("conf_transfer_peer: pid %ld", sys_getpid());
    long h = connect_retry(PATH, sizeof PATH - 1);
    CHECK_GT(h, 0);
    long sem = sys_sem_create(0), chan = sys_chan_create(4);
    long closed = sys_sem_create(0), last = sys_sem_create(0);
    CHECK_EQ(send_flags(h, T_SEM, sem), 0);
    CHECK_EQ(send_flags(h, T_CHAN, chan), 0);
    CHECK_EQ(send_flags(h, T_NOGRANT, h), 0); /* SYS_IPC_SEND does not check flags */
    CHECK_EQ(send_flags(h, T_CLOSED, closed), 0);
    CHECK_EQ(sys_handle_close(closed), 0);
    CHECK_EQ(send_flags(h, T_LAST, last), 0);

    memset(&m, 0, sizeof m);
    CHECK_EQ(sys_chan_recv(chan, &m), 0); /* blocks until conf_transfer sends */
    CHECK_EQ(m.payload[0], 0x41);
    CHECK_EQ(sys_sem_trywait(sem), 0); /* conf_transfer posted through its copy */
    return s9test_done();
}
