/*
 * conf_transfer: conformance of handle transfer through IpcMessage.flags,
 * ABI.md section 5 ("Handle transfer"): on SYS_IPC_RECV / SYS_IPC_TRY_RECV
 * the sender's handle named in flags is duplicated into the receiver's table
 * and flags rewritten to the new handle, with the same permissions; the
 * duplication happens at receive time, from the sender's table as it is
 * then: no such handle or no grant -> EPERM, sender gone -> EBADF, and the
 * message is lost in both cases; SYS_IPC_SEND itself does not look at
 * flags. (Transfer on SYS_IPC_CALL and SYS_IPC_REPLY: conf_callreply.
 * The EINVAL for a new id above u32 max would need 4 billion handles.)
 *
 * Run as pid 1 with conf_transfer_peer as pid 2:
 *   strat9-emu run conf_transfer.elf conf_transfer_peer.elf
 * Exit code = number of failed checks.
 */
#include "strat9.h"
#include "s9test.h"
#include "s9conf.h"

#define UNKNOWN_H 0x7ffffff0UL

static const char PATH[] = "/conf/transfer";
enum { T_SEM = 1, T_CHAN = 2, T_NOGRANT = 3, T_CLOSED = 4, T_LAST = 5, LOCAL = 9 };

static long mypid;

static void msg(IpcMessage *m, uint32_t type, uint32_t flags, uint8_t tag)
{
    memset(m, 0, sizeof *m);
    m->msg_type = type;
    m->flags = flags;
    m->payload[0] = tag;
}

/* Send h to ourselves through port p and receive it; returns the new
 * handle (flags after the receive) or the error of the receive. */
static long self_transfer(long p, long h, int use_try)
{
    IpcMessage m;
    msg(&m, LOCAL, (uint32_t)h, 0x11);
    long r = sys_ipc_send(p, &m);
    if (r != 0)
        return r;
    memset(&m, 0, sizeof m);
    r = use_try ? sys_ipc_try_recv(p, &m) : sys_ipc_recv(p, &m);
    if (r != 0)
        return r;
    if (m.payload[0] != 0x11 || m.sender != (uint64_t)mypid)
        return -1000;
    return (long)m.flags;
}

static void test_local(void)
{
    IpcMessage m;
    s9test_note("transfer on receive: a new handle to the same object, same permissions");
    long p = sys_ipc_create_port(0);
    long sem = sys_sem_create(0), chan = sys_chan_create(2), ring = sys_ipc_ring_create(4096);
    long port2 = sys_ipc_create_port(0);

    long sem_id = info_resource(sem), chan_id = info_resource(chan), port2_id = info_resource(port2);
    long s2 = self_transfer(p, sem, 0);
    CHECK_GT(s2, 0);
    CHECK_NE(s2, sem);
    CHECK_EQ(info_type(s2), RES_SEMAPHORE);
    CHECK_EQ(info_perms(s2), 27);
    CHECK_EQ(info_resource(s2), sem_id);
    CHECK_EQ(sys_sem_post(s2), 0);
    CHECK_EQ(sys_sem_trywait(sem), 0);

    long c2 = self_transfer(p, chan, 1); /* try_recv transfers too */
    CHECK_GT(c2, 0);
    CHECK_NE(c2, chan);
    CHECK_EQ(info_type(c2), RES_CHANNEL);
    CHECK_EQ(info_perms(c2), PERM_READ | PERM_WRITE | PERM_GRANT);
    CHECK_EQ(info_resource(c2), chan_id);

    long r2 = self_transfer(p, ring, 0);
    CHECK_GT(r2, 0);
    CHECK_EQ(info_type(r2), RES_SHARED_RING);
    CHECK_EQ(info_perms(r2), 27);
    uint64_t b1 = 0, b2 = 0;
    CHECK_EQ(sys_ipc_ring_map(ring, &b1), 4096);
    CHECK_EQ(sys_ipc_ring_map(r2, &b2), 4096);
    *(volatile uint8_t *)(uintptr_t)b1 = 0x3c;
    CHECK_EQ(*(volatile uint8_t *)(uintptr_t)b2, 0x3c); /* the same ring */

    long p2 = self_transfer(p, port2, 0);
    CHECK_GT(p2, 0);
    CHECK_EQ(info_type(p2), RES_IPC_PORT);
    CHECK_EQ(info_perms(p2), 31);
    CHECK_EQ(info_resource(p2), port2_id);

    /* a transferred handle keeps grant: it can be passed on again */
    long s3 = self_transfer(p, s2, 1);
    CHECK_GT(s3, 0);
    CHECK_EQ(info_resource(s3), sem_id);

    s9test_note("transfer errors at receive time: no such handle or no grant -> EPERM, message lost");
    CHECK_EQ(self_transfer(p, UNKNOWN_H, 0), -EPERM); /* the send itself succeeds */
    CHECK_EQ(sys_ipc_try_recv(p, &m), -EAGAIN);        /* lost */
    CHECK_EQ(sys_ipc_bind_port(port2, "/conf/transfer-local", 20), 0);
    long conn = sys_ipc_connect("/conf/transfer-local", 20); /* read|write: no grant */
    CHECK_GT(conn, 0);
    CHECK_EQ(self_transfer(p, conn, 0), -EPERM);
    CHECK_EQ(self_transfer(p, conn, 1), -EPERM);
    CHECK_EQ(sys_ipc_try_recv(p, &m), -EAGAIN);

    s9test_note("the handle is looked up when the message is received, not when it is sent");
    long gone = sys_sem_create(1);
    msg(&m, LOCAL, (uint32_t)gone, 0x22);
    CHECK_EQ(sys_ipc_send(p, &m), 0);
    msg(&m, LOCAL, 0, 0x23);
    CHECK_EQ(sys_ipc_send(p, &m), 0);
    CHECK_EQ(sys_handle_close(gone), 0);
    CHECK_EQ(sys_ipc_recv(p, &m), -EPERM); /* 0x22 is lost ... */
    memset(&m, 0, sizeof m);
    CHECK_EQ(sys_ipc_recv(p, &m), 0); /* ... the next one is fine */
    CHECK_EQ(m.payload[0], 0x23);
    CHECK_EQ(m.flags, 0);

    sys_handle_close(conn);
    sys_handle_close(p);
}

static void test_with_peer(void)
{
    IpcMessage m;
    s9test_note("transfer between processes");
    long port = sys_ipc_create_port(0);
    CHECK_EQ(sys_ipc_bind_port(port, PATH, sizeof PATH - 1), 0);
    s9_sleep_ns(5000000); /* the peer queues its messages and blocks on its channel */

    memset(&m, 0, sizeof m);
    CHECK_EQ(sys_ipc_recv(port, &m), 0);
    CHECK_EQ(m.msg_type, T_SEM);
    long peer = (long)m.sender;
    CHECK_NE(peer, mypid);
    long sem = (long)m.flags;
    CHECK_EQ(info_type(sem), RES_SEMAPHORE);
    CHECK_EQ(info_perms(sem), 27);
    CHECK_EQ(sys_sem_post(sem), 0); /* the peer sees it */

    memset(&m, 0, sizeof m);
    CHECK_EQ(sys_ipc_recv(port, &m), 0);
    CHECK_EQ(m.msg_type, T_CHAN);
    long chan = (long)m.flags;
    CHECK_EQ(info_type(chan), RES_CHANNEL);
    CHECK_EQ(info_perms(chan), PERM_READ | PERM_WRITE | PERM_GRANT);

    /* T_NOGRANT (its connect handle) and T_CLOSED (closed after sending): EPERM, lost */
    CHECK_EQ(sys_ipc_recv(port, &m), -EPERM);
    CHECK_EQ(sys_ipc_recv(port, &m), -EPERM);

    /* wake the peer through the channel it gave us; it exits afterwards */
    msg(&m, 0x40, 0, 0x41);
    CHECK_EQ(sys_chan_send(chan, &m), 0);
    s9_sleep_ns(5000000);

    s9test_note("transfer from a sender that has exited -> EBADF, message lost");
    memset(&m, 0, sizeof m);
    CHECK_EQ(sys_ipc_recv(port, &m), -EBADF); /* T_LAST */
    CHECK_EQ(sys_ipc_try_recv(port, &m), -EAGAIN);

    s9test_note("what we received outlives the sender");
    CHECK_EQ(sys_sem_post(sem), 0);
    CHECK_EQ(sys_sem_trywait(sem), 0);
    msg(&m, 0x42, 0, 0x43);
    CHECK_EQ(sys_chan_send(chan, &m), 0);
    memset(&m, 0, sizeof m);
    CHECK_EQ(sys_chan_try_recv(chan, &m), 0);
    CHECK_EQ(m.payload[0], 0x43);
}

int main(void)
{
    mypid = sys_getpid();
    test_local();
    test_with_peer();
    return s9test_done();
}
