/*
 * conf_callreply: conformance of SYS_IPC_CALL (203) and SYS_IPC_REPLY (204),
 * ABI.md section 5: errors in upstream check order, the reply slot (a reply
 * to a task that is not waiting is kept for its next call; a second one
 * overwrites the first), handle transfer on call and reply, and calls that
 * block (waiting for the reply, and waiting for room in a full port).
 *
 * Run as pid 1 with conf_callreply_peer as pid 2:
 *   strat9-emu run conf_callreply.elf conf_callreply_peer.elf
 * We serve "/conf/callreply"; the peer binds "/conf/callreply-peer".
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
#define NO_SUCH_TASK 4000UL

static const char PATH[] = "/conf/callreply";
static const char PEER_PATH[] = "/conf/callreply-peer";
static const char PRIV_PATH[] = "/conf/callreply-private";

/* Protocol with the peer. */
enum {
    CALL_ECHO = 0x10, CALL_XFER = 0x11, PREPARE = 0x12, EARLY = 0x13, GO = 0x14,
    CALL_LATE = 0x15, CALL_FULL = 0x16, FILL = 0x17, REPLY_BIT = 0x1000
};

static long mypid, main_port;

static void set_text(IpcMessage *m, uint64_t sender, uint32_t type, uint32_t flags, const char *text)
{
    memset(m, 0, sizeof *m);
    m->sender = sender;
    m->msg_type = type;
    m->flags = flags;
    for (size_t i = 0; text[i] && i < IPC_PAYLOAD_SIZE; i++)
        m->payload[i] = (uint8_t)text[i];
}

static int text_is(const IpcMessage *m, const char *text)
{
    size_t n = strlen(text);
    if (memcmp(m->payload, text, n) != 0)
        return 0;
    for (size_t i = n; i < IPC_PAYLOAD_SIZE; i++)
        if (m->payload[i])
            return 0;
    return 1;
}

static void test_call_errors(void)
{
    IpcMessage m, q;
    s9test_note("SYS_IPC_CALL errors, in check order: handle (EPERM), type (EBADF), msg (EFAULT), flags (EPERM)");
    long p = sys_ipc_create_port(0);
    long sem = sys_sem_create(0), chan = sys_chan_create(1);
    CHECK_EQ(sys_ipc_bind_port(p, PRIV_PATH, sizeof PRIV_PATH - 1), 0);
    long conn = sys_ipc_connect(PRIV_PATH, sizeof PRIV_PATH - 1); /* read|write, no grant */
    CHECK_GT(conn, 0);
    set_text(&m, 0, 0x21, 0, "question");
    CHECK_EQ(sys_ipc_call(UNKNOWN_H, &m), -EPERM);
    CHECK_EQ(sys_ipc_call(sem, &m), -EBADF);
    CHECK_EQ(sys_ipc_call(chan, &m), -EBADF);
    CHECK_EQ(sys_ipc_call(p, NULL), -EFAULT);
    CHECK_EQ(sys_ipc_call(p, BAD_HIGH), -EFAULT);
    CHECK_EQ(sys_ipc_call(UNKNOWN_H, NULL), -EPERM);
    CHECK_EQ(sys_ipc_call(sem, NULL), -EBADF);
    set_text(&m, 0, 0x21, (uint32_t)UNKNOWN_H, "bad flags");
    CHECK_EQ(sys_ipc_call(p, &m), -EPERM); /* flags: not a handle of ours */
    CHECK_EQ(sys_ipc_call(chan, &m), -EBADF);
    set_text(&m, 0, 0x21, (uint32_t)conn, "no grant");
    CHECK_EQ(sys_ipc_call(p, &m), -EPERM); /* flags: a handle without grant */
    CHECK_EQ(m.msg_type, 0x21);            /* a failed call leaves the buffer alone */
    CHECK_EQ(sys_ipc_try_recv(p, &q), -EAGAIN); /* and queues nothing */

    s9test_note("SYS_IPC_REPLY errors: msg == 0 or unreadable -> EFAULT; transfer: no handle/grant -> EPERM, no target -> EBADF");
    CHECK_EQ(sys_ipc_reply(NULL), -EFAULT);
    CHECK_EQ(sys_ipc_reply(BAD_HIGH), -EFAULT);
    CHECK_EQ(sys_ipc_reply((const IpcMessage *)(uintptr_t)0x3ffffcUL), -EFAULT); /* 4 bytes unmapped */
    set_text(&m, (uint64_t)mypid, 0x22, (uint32_t)UNKNOWN_H, "x");
    CHECK_EQ(sys_ipc_reply(&m), -EPERM);
    set_text(&m, (uint64_t)mypid, 0x22, (uint32_t)conn, "x");
    CHECK_EQ(sys_ipc_reply(&m), -EPERM);
    set_text(&m, NO_SUCH_TASK, 0x22, (uint32_t)sem, "x");
    CHECK_EQ(sys_ipc_reply(&m), -EBADF);
    set_text(&m, NO_SUCH_TASK, 0x22, (uint32_t)UNKNOWN_H, "x");
    CHECK_EQ(sys_ipc_reply(&m), -EPERM); /* the handle is checked before the target */
    /* without a transfer the target is not checked: the reply is dropped */
    set_text(&m, NO_SUCH_TASK, 0x22, 0, "nobody");
    CHECK_EQ(sys_ipc_reply(&m), 0);
    /* a read-only reply buffer is fine */
    CHECK_EQ(sys_ipc_reply(RO_MESSAGE), 0); /* sender 0x5151: no such task */

    CHECK_EQ(sys_handle_close(conn), 0);
    CHECK_EQ(sys_handle_close(sem), 0);
    CHECK_EQ(sys_handle_close(chan), 0);
    CHECK_EQ(sys_handle_close(p), 0);
}

static void test_reply_slot_local(void)
{
    IpcMessage m, r, q;
    s9test_note("a reply to a task that is not waiting is kept and returned by its next call");
    long p = sys_ipc_create_port(0);
    set_text(&r, (uint64_t)mypid, 0x77, 0, "kept");
    CHECK_EQ(sys_ipc_reply(&r), 0);
    set_text(&m, 0xabcdef, 0x21, 0, "question");
    CHECK_EQ(sys_ipc_call(p, &m), 0); /* returns at once */
    CHECK_EQ(m.msg_type, 0x77);
    CHECK(text_is(&m, "kept"));
    CHECK_EQ(m.sender, mypid); /* the reply as written */
    CHECK_EQ(m.flags, 0);
    /* the call's own message was queued first, stamped */
    memset(&q, 0, sizeof q);
    CHECK_EQ(sys_ipc_try_recv(p, &q), 0);
    CHECK_EQ(q.msg_type, 0x21);
    CHECK_EQ(q.sender, mypid);
    CHECK(text_is(&q, "question"));
    CHECK_EQ(sys_ipc_try_recv(p, &q), -EAGAIN);

    s9test_note("a second reply overwrites the first");
    set_text(&r, (uint64_t)mypid, 0x78, 0, "first");
    CHECK_EQ(sys_ipc_reply(&r), 0);
    set_text(&r, (uint64_t)mypid, 0x79, 0, "second");
    CHECK_EQ(sys_ipc_reply(&r), 0);
    set_text(&m, 0, 0x21, 0, "again");
    CHECK_EQ(sys_ipc_call(p, &m), 0);
    CHECK_EQ(m.msg_type, 0x79);
    CHECK(text_is(&m, "second"));
    CHECK_EQ(sys_ipc_try_recv(p, &q), 0);
    CHECK(text_is(&q, "again"));

    s9test_note("a call through a connect handle (read|write) is fine");
    CHECK_EQ(sys_ipc_bind_port(p, "/conf/callreply-p2", 18), 0);
    long conn = sys_ipc_connect("/conf/callreply-p2", 18);
    set_text(&r, (uint64_t)mypid, 0x7a, 0, "via connect");
    CHECK_EQ(sys_ipc_reply(&r), 0);
    set_text(&m, 0, 0x21, 0, "c");
    CHECK_EQ(sys_ipc_call(conn, &m), 0);
    CHECK(text_is(&m, "via connect"));
    CHECK_EQ(sys_ipc_try_recv(p, &q), 0);
    CHECK_EQ(q.sender, mypid);

    s9test_note("transfer on reply: flags becomes a new handle of the target");
    long sem = sys_sem_create(0);
    set_text(&r, (uint64_t)mypid, 0x7b, (uint32_t)sem, "sem");
    CHECK_EQ(sys_ipc_reply(&r), 0);
    set_text(&m, 0, 0x21, 0, "give");
    CHECK_EQ(sys_ipc_call(p, &m), 0);
    long got = (long)m.flags;
    CHECK_GT(got, 0);
    CHECK_NE(got, sem);
    CHECK_EQ(info_type(got), RES_SEMAPHORE);
    CHECK_EQ(info_perms(got), 27);
    long sem_id = info_resource(sem);
    CHECK_EQ(info_resource(got), sem_id);
    CHECK_EQ(sys_sem_post(got), 0);
    CHECK_EQ(sys_sem_trywait(sem), 0);
    CHECK_EQ(sys_ipc_try_recv(p, &q), 0);

    s9test_note("transfer on call: checked at call time, duplicated at receive time");
    set_text(&r, (uint64_t)mypid, 0x7c, 0, "ok");
    CHECK_EQ(sys_ipc_reply(&r), 0);
    set_text(&m, 0, 0x23, (uint32_t)sem, "carry");
    CHECK_EQ(sys_ipc_call(p, &m), 0);
    memset(&q, 0, sizeof q);
    CHECK_EQ(sys_ipc_try_recv(p, &q), 0);
    CHECK_EQ(q.msg_type, 0x23);
    CHECK_GT(q.flags, 0);
    CHECK_NE(q.flags, sem);
    CHECK_EQ(info_resource(q.flags), sem_id);

    s9test_note("the reply is written over the call's buffer: read-only buffer -> EFAULT, reply consumed");
    set_text(&r, (uint64_t)mypid, 0x7d, 0, "lost");
    CHECK_EQ(sys_ipc_reply(&r), 0);
    CHECK_EQ(sys_ipc_call(p, RO_MESSAGE), -EFAULT);
    CHECK_EQ(RO_MSG.msg_type, 0x52); /* left intact */
    CHECK_EQ(sys_ipc_try_recv(p, &q), 0); /* the call's message was queued */
    CHECK_EQ(q.msg_type, 0x52);
    CHECK_EQ(q.sender, mypid);

    CHECK_EQ(sys_handle_close(conn), 0);
    CHECK_EQ(sys_handle_close(p), 0);
}

/* ---------------------------------------------------------------------- */

static long recv_type(IpcMessage *m, uint32_t type)
{
    memset(m, 0, sizeof *m);
    long r = sys_ipc_recv(main_port, m);
    if (r == 0 && m->msg_type != type) {
        s9test_note("got message type %#x, wanted %#x", m->msg_type, type);
        return -1;
    }
    return r;
}

static void upcase(IpcMessage *m)
{
    for (int i = 0; i < IPC_PAYLOAD_SIZE; i++)
        if (m->payload[i] >= 'a' && m->payload[i] <= 'z')
            m->payload[i] = (uint8_t)(m->payload[i] - 'a' + 'A');
}

static void test_with_peer(void)
{
    IpcMessage m, r;

    s9test_note("a call blocks until the reply; the server replies to msg.sender");
    CHECK_EQ(recv_type(&m, CALL_ECHO), 0);
    long peer = (long)m.sender;
    CHECK_GT(peer, 0);
    CHECK_NE(peer, mypid);
    CHECK(text_is(&m, "hello callreply"));
    s9_sleep_ns(2000000); /* the caller stays blocked meanwhile */
    r = m;
    r.msg_type = CALL_ECHO | REPLY_BIT;
    upcase(&r);
    CHECK_EQ(sys_ipc_reply(&r), 0);

    s9test_note("transfer on call (the peer's semaphore) and on reply (our channel)");
    CHECK_EQ(recv_type(&m, CALL_XFER), 0);
    CHECK_EQ(m.sender, peer);
    long their_sem = (long)m.flags; /* now a handle of ours */
    CHECK_GT(their_sem, 0);
    CHECK_EQ(info_type(their_sem), RES_SEMAPHORE);
    CHECK_EQ(info_perms(their_sem), 27);
    CHECK_EQ(sys_sem_post(their_sem), 0);
    long chan = sys_chan_create(4);
    set_text(&r, (uint64_t)peer, CALL_XFER | REPLY_BIT, (uint32_t)chan, "channel");
    CHECK_EQ(sys_ipc_reply(&r), 0);
    CHECK_NE(r.flags, 0); /* our buffer keeps our number */
    CHECK_EQ(r.flags, chan);

    s9test_note("a reply to a peer that is not waiting is kept for its next call");
    CHECK_EQ(recv_type(&m, PREPARE), 0); /* a plain send: the peer is not in a call */
    set_text(&r, (uint64_t)peer, EARLY, 0, "early reply");
    CHECK_EQ(sys_ipc_reply(&r), 0);
    long pp = connect_retry(PEER_PATH, sizeof PEER_PATH - 1);
    CHECK_GT(pp, 0);
    set_text(&r, 0, GO, 0, "go");
    CHECK_EQ(sys_ipc_send(pp, &r), 0);
    CHECK_EQ(recv_type(&m, CALL_LATE), 0); /* queued by the call that got the early reply */
    CHECK_EQ(m.sender, peer);

    s9test_note("a call into a full port blocks until there is room, then waits for the reply");
    int bad = 0;
    for (int i = 0; i < 16; i++) {
        set_text(&r, 0, FILL, 0, "fill");
        if (sys_ipc_send(main_port, &r) != 0)
            bad++;
    }
    CHECK_EQ(bad, 0);
    CHECK_EQ(sys_handle_wait(main_port, 0), WAIT_READABLE);
    set_text(&r, 0, GO, 0, "go");
    CHECK_EQ(sys_ipc_send(pp, &r), 0);
    s9_sleep_ns(2000000); /* the peer's call blocks on the full port */
    for (int i = 0; i < 16; i++)
        if (recv_type(&m, FILL) != 0 || m.sender != (uint64_t)mypid)
            bad++;
    CHECK_EQ(bad, 0);
    CHECK_EQ(recv_type(&m, CALL_FULL), 0);
    CHECK_EQ(m.sender, peer);
    r = m;
    r.msg_type = CALL_FULL | REPLY_BIT;
    upcase(&r);
    CHECK_EQ(sys_ipc_reply(&r), 0);

    s9test_note("the peer used the channel it received");
    memset(&m, 0, sizeof m);
    CHECK_EQ(sys_chan_recv(chan, &m), 0);
    CHECK_EQ(m.sender, peer);
    CHECK(text_is(&m, "via channel"));
}

int main(void)
{
    mypid = sys_getpid();
    main_port = sys_ipc_create_port(0);
    CHECK_GT(main_port, 0);
    CHECK_EQ(sys_ipc_bind_port(main_port, PATH, sizeof PATH - 1), 0);
    test_call_errors();
    test_reply_slot_local();
    test_with_peer();
    return s9test_done();
}
