/*
 * conf_callreply_peer: the client side of conf_callreply (ABI.md section 5,
 * SYS_IPC_CALL / SYS_IPC_REPLY). Calls "/conf/callreply": an echo (the call
 * blocks until the reply), a call carrying its semaphore (the reply carries
 * back a channel), a plain send after which the server replies while we are
 * not waiting (our next call returns that reply at once), and a call into a
 * full port (blocks for room, then for the reply).
 * Exit code = number of failed checks.
 */
#include "strat9.h"
#include "s9test.h"
#include "s9conf.h"

#define UNKNOWN_H 0x7ffffff0UL

static const char PATH[] = "/conf/callreply";
static const char PEER_PATH[] = "/conf/callreply-peer";

enum {
    CALL_ECHO = 0x10, CALL_XFER = 0x11, PREPARE = 0x12, EARLY = 0x13, GO = 0x14,
    CALL_LATE = 0x15, CALL_FULL = 0x16, REPLY_BIT = 0x1000
};

static void set_text(IpcMessage *m, uint32_t type, uint32_t flags, const char *text)
{
    memset(m, 0, sizeof *m);
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

int main(void)
{
    IpcMessage m;
    HandleInfo hi;
    long pid = sys_getpid();

    s9test_note("conf_callreply_peer: pid %ld", pid);
    long own = sys_ipc_create_port(0);
    CHECK_EQ(sys_ipc_bind_port(own, PEER_PATH, sizeof PEER_PATH - 1), 0);
    long h = connect_retry(PATH, sizeof PATH - 1);
    CHECK_GT(h, 0);

    s9test_note("peer: echo call");
    set_text(&m, CALL_ECHO, 0, "hello callreply");
    CHECK_EQ(sys_ipc_call(h, &m), 0);
    CHECK_EQ(m.msg_type, CALL_ECHO | REPLY_BIT);
    CHECK(text_is(&m, "HELLO CALLREPLY"));
    CHECK_EQ(m.sender, pid); /* as the server wrote it: our pid */
    CHECK_EQ(m.flags, 0);

    s9test_note("peer: call with a handle to transfer; flags must name a handle we hold with grant");
    long sem = sys_sem_create(0);
    set_text(&m, CALL_XFER, (uint32_t)UNKNOWN_H, "x");
    CHECK_EQ(sys_ipc_call(h, &m), -EPERM);
    set_text(&m, CALL_XFER, (uint32_t)h, "x"); /* a connect handle: no grant */
    CHECK_EQ(sys_ipc_call(h, &m), -EPERM);
    set_text(&m, CALL_XFER, (uint32_t)sem, "semaphore");
    CHECK_EQ(sys_ipc_call(h, &m), 0);
    CHECK_EQ(m.msg_type, CALL_XFER | REPLY_BIT);
    CHECK(text_is(&m, "channel"));
    long chan = (long)m.flags; /* the server's channel, now ours */
    CHECK_EQ(sys_handle_info(chan, &hi), 0);
    CHECK_EQ(hi.resource_type, RES_CHANNEL);
    CHECK_EQ(hi.permissions, PERM_READ | PERM_WRITE | PERM_GRANT);
    CHECK_EQ(sys_sem_trywait(sem), 0); /* the server posted through its copy */

    s9test_note("peer: a plain send; the server replies while we are not in a call");
    set_text(&m, PREPARE, 0, "prepare");
    CHECK_EQ(sys_ipc_send(h, &m), 0);
    CHECK_EQ(sys_ipc_recv(own, &m), 0);
    CHECK_EQ(m.msg_type, GO);
    set_text(&m, CALL_LATE, 0, "late");
    CHECK_EQ(sys_ipc_call(h, &m), 0); /* returns the kept reply at once */
    CHECK_EQ(m.msg_type, EARLY);
    CHECK(text_is(&m, "early reply"));

    s9test_note("peer: a call into a full port");
    CHECK_EQ(sys_ipc_recv(own, &m), 0);
    CHECK_EQ(m.msg_type, GO);
    set_text(&m, CALL_FULL, 0, "full port");
    CHECK_EQ(sys_ipc_call(h, &m), 0);
    CHECK_EQ(m.msg_type, CALL_FULL | REPLY_BIT);
    CHECK(text_is(&m, "FULL PORT"));

    set_text(&m, 0x30, 0, "via channel");
    CHECK_EQ(sys_chan_send(chan, &m), 0);
    return s9test_done();
}
