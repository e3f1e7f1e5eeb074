/*
 * conf_ports: conformance of the IPC port calls, ABI.md section 5 rows
 * SYS_IPC_CREATE_PORT (200), SYS_IPC_SEND (201), SYS_IPC_RECV (202) and
 * SYS_IPC_TRY_RECV (207): success paths, every listed error in upstream
 * check order, the FIFO of 16, sender stamping, blocking and EPIPE.
 *
 * Run as pid 1 with conf_ports_peer as pid 2:
 *   strat9-emu run conf_ports.elf conf_ports_peer.elf
 * Rendezvous through the namespace: we bind "/conf/ports", the peer binds
 * "/conf/ports-peer". The peer sends HELLO (we block in SYS_IPC_RECV until
 * it comes), then on GO sends 17 messages to our port (its 17th send
 * blocks on the full queue until we receive), then sleeps and exits while
 * we are blocked in SYS_IPC_RECV on its port (EPIPE).
 *
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

static const char PATH[] = "/conf/ports";
static const char PEER_PATH[] = "/conf/ports-peer";
static const char PRIV_PATH[] = "/conf/ports-private";

enum { HELLO = 0x101, GO = 0x102, FLOOD = 0x103, LOCAL = 0x200 };

static void make_msg(IpcMessage *m, uint32_t type, uint64_t seq)
{
    memset(m, 0, sizeof *m);
    m->sender = 0xdeadbeefcafeUL; /* overwritten by the kernel */
    m->msg_type = type;
    put64(m, 0, seq);
    for (int i = 8; i < IPC_PAYLOAD_SIZE; i++)
        m->payload[i] = (uint8_t)(seq * 7 + (uint64_t)i);
}

static int payload_ok(const IpcMessage *m, uint64_t seq)
{
    if (get64(m, 0) != seq)
        return 0;
    for (int i = 8; i < IPC_PAYLOAD_SIZE; i++)
        if (m->payload[i] != (uint8_t)(seq * 7 + (uint64_t)i))
            return 0;
    return 1;
}

static long main_port;
static long mypid;

static void test_create(void)
{
    HandleInfo a, b;
    s9test_note("SYS_IPC_CREATE_PORT (200): flags ignored, every permission");
    long p1 = sys_ipc_create_port(0);
    long p2 = sys_ipc_create_port(0xffffffffffffffffUL);
    CHECK_GT(p1, 0);
    CHECK_GT(p2, 0);
    CHECK_NE(p1, p2);
    CHECK_EQ(sys_handle_info(p1, &a), 0);
    CHECK_EQ(sys_handle_info(p2, &b), 0);
    CHECK_EQ(a.resource_type, RES_IPC_PORT);
    CHECK_EQ(b.resource_type, RES_IPC_PORT);
    CHECK_EQ(a.permissions, 31);
    CHECK_EQ(b.permissions, 31);
    CHECK_NE(a.resource, b.resource); /* two ports, not one */
    CHECK_EQ(sys_handle_close(p1), 0);
    CHECK_EQ(sys_handle_close(p2), 0);
}

static void test_send_recv_local(void)
{
    IpcMessage m, out;
    s9test_note("SYS_IPC_SEND (201) / SYS_IPC_RECV (202): success, sender stamping, exact copy");
    long p = sys_ipc_create_port(0);
    make_msg(&m, 0x55, 1);
    m.flags = 0;
    CHECK_EQ(sys_ipc_send(p, &m), 0);
    CHECK_EQ(m.sender, 0xdeadbeefcafeUL); /* the caller's buffer is not written */
    memset(&out, 0xee, sizeof out);
    CHECK_EQ(sys_ipc_recv(p, &out), 0); /* a message is queued: no blocking */
    CHECK_EQ(out.sender, mypid);
    CHECK_EQ(out.msg_type, 0x55);
    CHECK_EQ(out.flags, 0);
    CHECK(payload_ok(&out, 1));

    /* the kernel reads and writes the message unaligned */
    static unsigned char raw_in[72], raw_out[72];
    make_msg(&m, 0x56, 2);
    memcpy(raw_in + 3, &m, sizeof m);
    CHECK_EQ(sys_ipc_send(p, (IpcMessage *)(void *)(raw_in + 3)), 0);
    CHECK_EQ(sys_ipc_recv(p, (IpcMessage *)(void *)(raw_out + 5)), 0);
    memcpy(&out, raw_out + 5, sizeof out);
    CHECK_EQ(out.msg_type, 0x56);
    CHECK_EQ(out.sender, mypid);
    CHECK(payload_ok(&out, 2));
    CHECK_EQ(raw_out[4], 0);  /* nothing written before ... */
    CHECK_EQ(raw_out[69], 0); /* ... or after the 64 bytes */

    /* a read-only message can be sent */
    CHECK_EQ(sys_ipc_send(p, RO_MESSAGE), 0);
    CHECK_EQ(sys_ipc_try_recv(p, &out), 0);
    CHECK_EQ(out.sender, mypid);
    CHECK_EQ(memcmp(out.payload, RO_MSG.payload, IPC_PAYLOAD_SIZE), 0);

    s9test_note("SYS_IPC_SEND errors: unknown/no write -> EPERM, not a port -> EBADF, msg unreadable -> EFAULT");
    long sem = sys_sem_create(0), chan = sys_chan_create(1), ring = sys_ipc_ring_create(1);
    make_msg(&m, 0x57, 3);
    CHECK_EQ(sys_ipc_send(UNKNOWN_H, &m), -EPERM);
    CHECK_EQ(sys_ipc_send(sem, &m), -EBADF);
    CHECK_EQ(sys_ipc_send(chan, &m), -EBADF);
    CHECK_EQ(sys_ipc_send(ring, &m), -EBADF);
    CHECK_EQ(sys_ipc_send(p, NULL), -EFAULT);
    CHECK_EQ(sys_ipc_send(p, BAD_HIGH), -EFAULT);
    /* order: handle before type before message */
    CHECK_EQ(sys_ipc_send(UNKNOWN_H, NULL), -EPERM);
    CHECK_EQ(sys_ipc_send(sem, NULL), -EBADF);
    CHECK_EQ(sys_ipc_send(chan, BAD_HIGH), -EBADF);
    /* none of the failed sends queued anything */
    CHECK_EQ(sys_ipc_try_recv(p, &out), -EAGAIN);
    /* the message is read in full: 60 readable bytes are not enough */
    CHECK_EQ(sys_ipc_send(p, (const IpcMessage *)(uintptr_t)0x3ffffcUL), -EFAULT);

    s9test_note("SYS_IPC_RECV errors: unknown -> EPERM, not a port -> EBADF, out unwritable -> EFAULT after dequeue");
    CHECK_EQ(sys_ipc_recv(UNKNOWN_H, &out), -EPERM);
    CHECK_EQ(sys_ipc_recv(sem, &out), -EBADF);
    CHECK_EQ(sys_ipc_recv(chan, &out), -EBADF);
    CHECK_EQ(sys_ipc_recv(ring, &out), -EBADF);
    CHECK_EQ(sys_ipc_recv(UNKNOWN_H, NULL), -EPERM);
    CHECK_EQ(sys_ipc_recv(sem, NULL), -EBADF);
    make_msg(&m, 0x58, 10);
    CHECK_EQ(sys_ipc_send(p, &m), 0);
    make_msg(&m, 0x58, 11);
    CHECK_EQ(sys_ipc_send(p, &m), 0);
    make_msg(&m, 0x58, 12);
    CHECK_EQ(sys_ipc_send(p, &m), 0);
    CHECK_EQ(sys_ipc_recv(p, NULL), -EFAULT);      /* message 10 is lost */
    CHECK_EQ(sys_ipc_recv(p, READ_ONLY), -EFAULT); /* message 11 is lost */
    CHECK_EQ(__ehdr_start[0], 0x7f);
    CHECK_EQ(sys_ipc_recv(p, &out), 0);
    CHECK(payload_ok(&out, 12));
    CHECK_EQ(sys_ipc_try_recv(p, &out), -EAGAIN);

    s9test_note("SYS_IPC_TRY_RECV (207): EAGAIN when empty; same errors as recv");
    CHECK_EQ(sys_ipc_try_recv(p, &out), -EAGAIN);
    CHECK_EQ(sys_ipc_try_recv(p, NULL), -EAGAIN); /* out is looked at only after a dequeue */
    CHECK_EQ(sys_ipc_try_recv(UNKNOWN_H, &out), -EPERM);
    CHECK_EQ(sys_ipc_try_recv(sem, &out), -EBADF);
    CHECK_EQ(sys_ipc_try_recv(chan, &out), -EBADF);
    CHECK_EQ(sys_ipc_try_recv(ring, &out), -EBADF);
    CHECK_EQ(sys_ipc_try_recv(UNKNOWN_H, NULL), -EPERM);
    CHECK_EQ(sys_ipc_try_recv(sem, NULL), -EBADF);
    make_msg(&m, 0x59, 20);
    CHECK_EQ(sys_ipc_send(p, &m), 0);
    make_msg(&m, 0x59, 21);
    CHECK_EQ(sys_ipc_send(p, &m), 0);
    CHECK_EQ(sys_ipc_try_recv(p, BAD_HIGH), -EFAULT); /* message 20 is lost */
    CHECK_EQ(sys_ipc_try_recv(p, &out), 0);
    CHECK(payload_ok(&out, 21));
    CHECK_EQ(sys_ipc_try_recv(p, &out), -EAGAIN);

    s9test_note("a closed port handle is unknown");
    long d = sys_handle_duplicate(p);
    CHECK_EQ(sys_handle_close(p), 0);
    CHECK_EQ(sys_ipc_send(p, &m), -EPERM);
    CHECK_EQ(sys_ipc_recv(p, &out), -EPERM);
    CHECK_EQ(sys_ipc_try_recv(p, &out), -EPERM);
    CHECK_EQ(sys_handle_close(d), 0);
    CHECK_EQ(sys_handle_close(sem), 0);
    CHECK_EQ(sys_handle_close(chan), 0);
    CHECK_EQ(sys_handle_close(ring), 0);
}

static void test_fifo_local(void)
{
    IpcMessage m, out;
    s9test_note("a port is a FIFO of 16 messages");
    long p = sys_ipc_create_port(0);
    int bad = 0;
    for (uint64_t i = 0; i < 16; i++) {
        make_msg(&m, LOCAL, i);
        if (sys_ipc_send(p, &m) != 0)
            bad++;
    }
    CHECK_EQ(bad, 0);
    CHECK_EQ(sys_handle_wait(p, 0), WAIT_READABLE); /* full: not writable */
    for (uint64_t i = 0; i < 16; i++) {
        memset(&out, 0, sizeof out);
        if (sys_ipc_try_recv(p, &out) != 0 || !payload_ok(&out, i) || out.sender != (uint64_t)mypid)
            bad++;
    }
    CHECK_EQ(bad, 0);
    CHECK_EQ(sys_ipc_try_recv(p, &out), -EAGAIN); /* the 17th try_recv */
    CHECK_EQ(sys_handle_wait(p, 0), WAIT_WRITABLE);

    s9test_note("a connect handle (read|write) sends and receives on the bound port");
    CHECK_EQ(sys_ipc_bind_port(p, PRIV_PATH, sizeof PRIV_PATH - 1), 0);
    long c = sys_ipc_connect(PRIV_PATH, sizeof PRIV_PATH - 1);
    CHECK_GT(c, 0);
    make_msg(&m, LOCAL, 99);
    CHECK_EQ(sys_ipc_send(c, &m), 0);
    CHECK_EQ(sys_ipc_try_recv(c, &out), 0);
    CHECK(payload_ok(&out, 99));
    make_msg(&m, LOCAL, 100);
    CHECK_EQ(sys_ipc_send(c, &m), 0);
    CHECK_EQ(sys_ipc_recv(p, &out), 0);
    CHECK(payload_ok(&out, 100));
    CHECK_EQ(sys_handle_close(c), 0);
}

static void test_with_peer(void)
{
    IpcMessage m, out;

    s9test_note("SYS_IPC_RECV blocks until another process sends; the stamp is the sender's pid");
    memset(&out, 0, sizeof out);
    CHECK_EQ(sys_ipc_recv(main_port, &out), 0);
    CHECK_EQ(out.msg_type, HELLO);
    long peer = (long)get64(&out, 0); /* the peer's own SYS_GETPID */
    CHECK_EQ(out.sender, peer);
    CHECK_NE(peer, mypid);
    CHECK_EQ(out.flags, 0);

    long pp = connect_retry(PEER_PATH, sizeof PEER_PATH - 1);
    CHECK_GT(pp, 0);
    make_msg(&m, GO, 0);
    CHECK_EQ(sys_ipc_send(pp, &m), 0);

    s9test_note("17 sends into a 16-slot port: the 17th blocks until a receive");
    s9_sleep_ns(20000000); /* the peer sends 16 and blocks on the 17th */
    CHECK_EQ(sys_handle_wait(main_port, 0), WAIT_READABLE);
    int bad = 0, wrong_sender = 0;
    for (uint64_t i = 0; i < 17; i++) {
        memset(&out, 0, sizeof out);
        if (sys_ipc_recv(main_port, &out) != 0 || out.msg_type != FLOOD || !payload_ok(&out, i))
            bad++;
        if (out.sender != (uint64_t)peer)
            wrong_sender++;
    }
    CHECK_EQ(bad, 0);
    CHECK_EQ(wrong_sender, 0);
    CHECK_EQ(sys_ipc_try_recv(main_port, &out), -EAGAIN);

    s9test_note("a receiver blocked on a port gets EPIPE when the port's owner exits");
    CHECK_EQ(sys_ipc_recv(pp, &out), -EPIPE); /* blocks; the peer exits */
    s9test_note("calls on a handle to a destroyed port: EBADF (port gone)");
    make_msg(&m, LOCAL, 1);
    CHECK_EQ(sys_ipc_send(pp, &m), -EBADF);
    CHECK_EQ(sys_ipc_recv(pp, &out), -EBADF);
    CHECK_EQ(sys_ipc_try_recv(pp, &out), -EBADF);
    /* the order still holds: the handle is checked before the port */
    CHECK_EQ(sys_ipc_send(pp, NULL), -EFAULT);
    CHECK_EQ(sys_handle_close(pp), 0);
}

int main(void)
{
    mypid = sys_getpid();
    main_port = sys_ipc_create_port(0);
    CHECK_GT(main_port, 0);
    CHECK_EQ(sys_ipc_bind_port(main_port, PATH, sizeof PATH - 1), 0);
    test_create();
    test_send_recv_local();
    test_fifo_local();
    test_with_peer();
    return s9test_done();
}
