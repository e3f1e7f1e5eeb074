/*
 * conf_ports_peer: the second process of conf_ports (ABI.md section 5).
 * Binds its own port at "/conf/ports-peer", connects to "/conf/ports",
 * sleeps so that conf_ports blocks in SYS_IPC_RECV, sends HELLO (with its
 * pid in the payload), waits for GO on its own port, sends 17 numbered
 * messages (the 17th blocks on the full port), sleeps and exits: that
 * destroys its port under conf_ports' blocked SYS_IPC_RECV (EPIPE).
 * Exit code = number of failed checks.
 */
#include "strat9.h"
#include "s9test.h"
#include "s9conf.h"

static const char PATH[] = "/conf/ports";
static const char PEER_PATH[] = "/conf/ports-peer";

enum { HELLO = 0x101, GO = 0x102, FLOOD = 0x103 };

static void make_msg(IpcMessage *m, uint32_t type, uint64_t seq)
{
    memset(m, 0, sizeof *m);
    m->sender = 0xdeadbeefcafeUL;
    m->msg_type = type;
    put64(m, 0, seq);
    for (int i = 8; i < IPC_PAYLOAD_SIZE; i++)
        m->payload[i] = (uint8_t)(seq * 7 + (uint64_t)i);
}

int main(void)
{
    IpcMessage m;
    long pid = sys_getpid();

    s9test_note("conf_ports_peer: pid %ld", pid);
    long own = sys_ipc_create_port(0);
    CHECK_GT(own, 0);
    CHECK_EQ(sys_ipc_bind_port(own, PEER_PATH, sizeof PEER_PATH - 1), 0);
    long h = connect_retry(PATH, sizeof PATH - 1);
    CHECK_GT(h, 0);

    s9_sleep_ns(10000000); /* conf_ports is blocked in SYS_IPC_RECV by now */
    make_msg(&m, HELLO, (uint64_t)pid);
    CHECK_EQ(sys_ipc_send(h, &m), 0);

    memset(&m, 0, sizeof m);
    CHECK_EQ(sys_ipc_recv(own, &m), 0);
    CHECK_EQ(m.msg_type, GO);

    int bad = 0;
    for (uint64_t i = 0; i < 17; i++) {
        make_msg(&m, FLOOD, i);
        if (sys_ipc_send(h, &m) != 0) /* the 17th blocks until conf_ports receives */
            bad++;
    }
    CHECK_EQ(bad, 0);

    s9_sleep_ns(10000000); /* conf_ports blocks in SYS_IPC_RECV on our port */
    s9test_note("conf_ports_peer: exiting (our port goes with us)");
    return s9test_done();
}
