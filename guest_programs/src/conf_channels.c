/*
 * conf_channels: conformance of the channel calls, ABI.md section 6
 * (SYS_CHAN_CREATE/SEND/RECV/TRY_RECV/CLOSE, 220-224): the capacity clamp
 * (0 -> 1, 5000 -> 1024), exact errors in upstream order (send checks the
 * message first; unknown handles give EBADF even for admin tasks; another
 * type or a missing permission gives EPERM; close: EBADF), sender stamping,
 * flags carried as is, blocking send and receive across processes.
 * EPIPE for tasks blocked on a channel whose last handle is closed needs a
 * second thread of the holder: see conf_lifetime.
 *
 * Run as pid 1 with conf_channels_peer as pid 2:
 *   strat9-emu run conf_channels.elf conf_channels_peer.elf
 * Exit code = number of failed checks.
 */
#include "strat9.h"
#include "s9test.h"
#include "s9conf.h"

#define BAD_HIGH ((void *)0xdead0000UL)
extern const unsigned char __ehdr_start[];
#define READ_ONLY ((void *)(uintptr_t)__ehdr_start)
/* A message in read-only memory: the same bytes whichever compiler built
 * the guest (the ELF header would differ), so traces compare across builds. */
static const IpcMessage RO_MSG = {.sender = 0x5151, .msg_type = 0x52, .flags = 0, .payload = "read-only message"};
#define RO_MESSAGE ((void *)(uintptr_t)&RO_MSG)
#define UNKNOWN_H 0x7ffffff0UL

static const char PATH[] = "/conf/channels";
enum { HELLO = 1, PING = 2, FILL = 3, BYE = 4 };

static long mypid;

static void make_msg(IpcMessage *m, uint32_t type, uint64_t seq)
{
    memset(m, 0, sizeof *m);
    m->sender = 0x1234567;
    m->msg_type = type;
    put64(m, 0, seq);
    put64(m, 5, ~seq);
}

static int seq_ok(const IpcMessage *m, uint64_t seq) { return get64(m, 0) == seq && get64(m, 5) == ~seq; }

/* Sends until the channel refuses to take more (seen through
 * SYS_HANDLE_WAIT's writable bit, so nothing blocks); returns the count. */
static long fill_count(long c, long limit)
{
    IpcMessage m;
    long n = 0;
    while (n < limit && sys_handle_wait(c, 0) & WAIT_WRITABLE) {
        make_msg(&m, FILL, (uint64_t)n);
        if (sys_chan_send(c, &m) != 0)
            return -1;
        n++;
    }
    return n;
}

static long drain_in_order(long c)
{
    IpcMessage m;
    long n = 0;
    while (sys_chan_try_recv(c, &m) == 0) {
        if (!seq_ok(&m, (uint64_t)n) || m.sender != (uint64_t)mypid)
            return -1;
        n++;
    }
    return n;
}

static void test_create(void)
{
    HandleInfo hi;
    s9test_note("SYS_CHAN_CREATE (220): a read|write|grant handle; capacity clamped to 1..1024");
    long c = sys_chan_create(4);
    CHECK_GT(c, 0);
    CHECK_EQ(sys_handle_info(c, &hi), 0);
    CHECK_EQ(hi.resource_type, RES_CHANNEL);
    CHECK_EQ(hi.permissions, PERM_READ | PERM_WRITE | PERM_GRANT);
    CHECK_EQ(fill_count(c, 2000), 4);
    CHECK_EQ(drain_in_order(c), 4);

    long c0 = sys_chan_create(0);
    CHECK_GT(c0, 0);
    CHECK_EQ(fill_count(c0, 2000), 1); /* 0 -> 1 */
    CHECK_EQ(sys_handle_wait(c0, 0), WAIT_READABLE);
    CHECK_EQ(drain_in_order(c0), 1);

    long c1 = sys_chan_create(1);
    CHECK_EQ(fill_count(c1, 2000), 1);
    CHECK_EQ(drain_in_order(c1), 1);

    long cbig = sys_chan_create(5000);
    CHECK_GT(cbig, 0);
    CHECK_EQ(fill_count(cbig, 2000), 1024); /* 5000 -> 1024 */
    CHECK_EQ(sys_handle_wait(cbig, 0), WAIT_READABLE);
    CHECK_EQ(drain_in_order(cbig), 1024);
    CHECK_EQ(sys_handle_wait(cbig, 0), WAIT_WRITABLE);

    long cmax = sys_chan_create(~0UL);
    CHECK_GT(cmax, 0);
    CHECK_EQ(fill_count(cmax, 2000), 1024);
    CHECK_EQ(drain_in_order(cmax), 1024);

    long c1024 = sys_chan_create(1024);
    CHECK_EQ(fill_count(c1024, 2000), 1024);
    CHECK_EQ(drain_in_order(c1024), 1024);

    CHECK_EQ(sys_chan_close(c), 0);
    CHECK_EQ(sys_chan_close(c0), 0);
    CHECK_EQ(sys_chan_close(c1), 0);
    CHECK_EQ(sys_chan_close(cbig), 0);
    CHECK_EQ(sys_chan_close(cmax), 0);
    CHECK_EQ(sys_chan_close(c1024), 0);
}

static void test_send_recv(void)
{
    IpcMessage m, out;
    s9test_note("SYS_CHAN_SEND (221) / SYS_CHAN_RECV (222): stamping, flags carried as they are");
    long c = sys_chan_create(8);
    long sem = sys_sem_create(0), port = sys_ipc_create_port(0), ring = sys_ipc_ring_create(1);
    make_msg(&m, 0x61, 1);
    m.flags = (uint32_t)UNKNOWN_H;
    CHECK_EQ(sys_chan_send(c, &m), 0);
    CHECK_EQ(m.sender, 0x1234567); /* the caller's buffer is not written */
    make_msg(&m, 0x62, 2);
    m.flags = (uint32_t)sem; /* not a transfer on channels */
    CHECK_EQ(sys_chan_send(c, &m), 0);
    memset(&out, 0xee, sizeof out);
    CHECK_EQ(sys_chan_recv(c, &out), 0);
    CHECK_EQ(out.sender, mypid);
    CHECK_EQ(out.msg_type, 0x61);
    CHECK_EQ(out.flags, (uint32_t)UNKNOWN_H);
    CHECK(seq_ok(&out, 1));
    CHECK_EQ(sys_chan_try_recv(c, &out), 0);
    CHECK_EQ(out.msg_type, 0x62);
    CHECK_EQ(out.flags, (uint32_t)sem); /* the same number, no new handle */
    CHECK(seq_ok(&out, 2));
    /* a read-only message can be sent */
    CHECK_EQ(sys_chan_send(c, RO_MESSAGE), 0);
    CHECK_EQ(sys_chan_try_recv(c, &out), 0);
    CHECK_EQ(memcmp(out.payload, RO_MSG.payload, IPC_PAYLOAD_SIZE), 0);
    CHECK_EQ(out.sender, mypid);

    s9test_note("SYS_CHAN_SEND errors: msg unreadable -> EFAULT first; unknown -> EBADF; other type -> EPERM");
    CHECK_EQ(sys_chan_send(c, NULL), -EFAULT);
    CHECK_EQ(sys_chan_send(c, BAD_HIGH), -EFAULT);
    CHECK_EQ(sys_chan_send(c, (const IpcMessage *)(uintptr_t)0x3ffffcUL), -EFAULT);
    CHECK_EQ(sys_chan_send(UNKNOWN_H, NULL), -EFAULT);
    CHECK_EQ(sys_chan_send(port, BAD_HIGH), -EFAULT);
    make_msg(&m, 0x63, 3);
    CHECK_EQ(sys_chan_send(UNKNOWN_H, &m), -EBADF);
    CHECK_EQ(sys_chan_send(port, &m), -EPERM);
    CHECK_EQ(sys_chan_send(sem, &m), -EPERM);
    CHECK_EQ(sys_chan_send(ring, &m), -EPERM);
    CHECK_EQ(sys_chan_try_recv(c, &out), -EAGAIN); /* nothing was queued */

    s9test_note("SYS_CHAN_RECV errors: unknown -> EBADF; other type -> EPERM; out unwritable -> EFAULT after dequeue");
    CHECK_EQ(sys_chan_recv(UNKNOWN_H, &out), -EBADF);
    CHECK_EQ(sys_chan_recv(UNKNOWN_H, NULL), -EBADF);
    CHECK_EQ(sys_chan_recv(port, &out), -EPERM);
    CHECK_EQ(sys_chan_recv(sem, NULL), -EPERM);
    CHECK_EQ(sys_chan_recv(ring, &out), -EPERM);
    make_msg(&m, 0x64, 10);
    CHECK_EQ(sys_chan_send(c, &m), 0);
    make_msg(&m, 0x64, 11);
    CHECK_EQ(sys_chan_send(c, &m), 0);
    make_msg(&m, 0x64, 12);
    CHECK_EQ(sys_chan_send(c, &m), 0);
    CHECK_EQ(sys_chan_recv(c, NULL), -EFAULT);      /* 10 is lost */
    CHECK_EQ(sys_chan_recv(c, READ_ONLY), -EFAULT); /* 11 is lost */
    CHECK_EQ(__ehdr_start[0], 0x7f);
    CHECK_EQ(sys_chan_recv(c, &out), 0);
    CHECK(seq_ok(&out, 12));

    s9test_note("SYS_CHAN_TRY_RECV (223): empty -> EAGAIN; errors as recv");
    CHECK_EQ(sys_chan_try_recv(c, &out), -EAGAIN);
    CHECK_EQ(sys_chan_try_recv(c, NULL), -EAGAIN); /* out only matters after a dequeue */
    CHECK_EQ(sys_chan_try_recv(UNKNOWN_H, &out), -EBADF);
    CHECK_EQ(sys_chan_try_recv(UNKNOWN_H, NULL), -EBADF);
    CHECK_EQ(sys_chan_try_recv(port, &out), -EPERM);
    CHECK_EQ(sys_chan_try_recv(sem, &out), -EPERM);
    CHECK_EQ(sys_chan_try_recv(ring, NULL), -EPERM);
    make_msg(&m, 0x65, 20);
    CHECK_EQ(sys_chan_send(c, &m), 0);
    make_msg(&m, 0x65, 21);
    CHECK_EQ(sys_chan_send(c, &m), 0);
    CHECK_EQ(sys_chan_try_recv(c, BAD_HIGH), -EFAULT); /* 20 is lost */
    CHECK_EQ(sys_chan_try_recv(c, &out), 0);
    CHECK(seq_ok(&out, 21));
    CHECK_EQ(sys_chan_try_recv(c, &out), -EAGAIN);

    s9test_note("SYS_CHAN_CLOSE (224): unknown or not a channel -> EBADF; the object lives while a handle does");
    CHECK_EQ(sys_chan_close(UNKNOWN_H), -EBADF);
    CHECK_EQ(sys_chan_close(port), -EBADF);
    CHECK_EQ(sys_chan_close(sem), -EBADF);
    CHECK_EQ(sys_chan_close(ring), -EBADF);
    CHECK_EQ(sys_handle_info(port, &(HandleInfo){0, 0, 0}), 0); /* untouched */
    long d = sys_handle_duplicate(c);
    CHECK_GT(d, 0);
    CHECK_EQ(sys_chan_close(c), 0);
    CHECK_EQ(sys_chan_close(c), -EBADF);
    make_msg(&m, 0x66, 30);
    CHECK_EQ(sys_chan_send(c, &m), -EBADF); /* the handle is gone */
    CHECK_EQ(sys_chan_try_recv(c, &out), -EBADF);
    CHECK_EQ(sys_chan_send(d, &m), 0); /* the channel is not */
    CHECK_EQ(sys_chan_try_recv(d, &out), 0);
    CHECK(seq_ok(&out, 30));
    /* SYS_HANDLE_CLOSE closes channel handles too */
    long d2 = sys_handle_duplicate(d);
    CHECK_EQ(sys_handle_close(d), 0);
    CHECK_EQ(sys_chan_send(d2, &m), 0);
    CHECK_EQ(sys_chan_close(d2), 0);

    sys_handle_close(sem);
    sys_handle_close(port);
    sys_handle_close(ring);
}

static void test_with_peer(void)
{
    IpcMessage m, out;
    s9test_note("channels across processes: blocking recv and send, any holder sends and receives");
    long port = sys_ipc_create_port(0);
    CHECK_EQ(sys_ipc_bind_port(port, PATH, sizeof PATH - 1), 0);
    long c = sys_chan_create(2);
    long mine = sys_chan_create(1); /* never given away */
    CHECK_EQ(sys_ipc_recv(port, &m), 0);
    CHECK_EQ(m.msg_type, HELLO);
    long peer = (long)m.sender;
    long theirs = sys_handle_grant(c, peer);
    CHECK_GT(theirs, 0);
    IpcMessage rep;
    memset(&rep, 0, sizeof rep);
    rep.sender = (uint64_t)peer;
    rep.msg_type = HELLO;
    put64(&rep, 0, (uint64_t)theirs);
    put64(&rep, 1, (uint64_t)mine);
    put64(&rep, 2, (uint64_t)mypid);
    CHECK_EQ(sys_ipc_reply(&rep), 0);

    s9_sleep_ns(2000000); /* the peer blocks in SYS_CHAN_RECV meanwhile */
    make_msg(&m, PING, 1);
    CHECK_EQ(sys_chan_send(c, &m), 0);

    s9_sleep_ns(2000000); /* the peer sends 3 into our 2 slots: the 3rd blocks */
    CHECK_EQ(sys_handle_wait(c, 0), WAIT_READABLE);
    int bad = 0;
    for (uint64_t i = 0; i < 3; i++) {
        memset(&out, 0, sizeof out);
        if (sys_chan_recv(c, &out) != 0 || out.msg_type != FILL || !seq_ok(&out, 100 + i) ||
            out.sender != (uint64_t)peer)
            bad++;
    }
    CHECK_EQ(bad, 0);

    /* the peer closes its handle and exits; ours still works */
    CHECK_EQ(sys_chan_recv(c, &out), 0);
    CHECK_EQ(out.msg_type, BYE);
    s9_sleep_ns(2000000);
    make_msg(&m, PING, 2);
    CHECK_EQ(sys_chan_send(c, &m), 0);
    CHECK_EQ(sys_chan_try_recv(c, &out), 0);
    CHECK(seq_ok(&out, 2));
    CHECK_EQ(sys_chan_close(c), 0);
    CHECK_EQ(sys_chan_close(mine), 0);
}

int main(void)
{
    mypid = sys_getpid();
    test_create();
    test_send_recv();
    test_with_peer();
    return s9test_done();
}
