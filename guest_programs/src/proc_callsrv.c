/*
 * proc_callsrv: a one-shot call server for proc_twocalls.
 *   proc_callsrv PATH DELAY_MS TAG
 * Binds PATH, receives one call (type 0x60), waits DELAY_MS of virtual time,
 * then replies (type 0x61) to msg.sender with: payload[0] = TAG,
 * payload[1..24) = the request text upper-cased, payload[24..32) = the
 * sender stamped by the kernel, payload[32..40) = this server's pid.
 * Exit code = number of failed checks (TAP on stdout).
 */
#include "strat9.h"
#include "s9test.h"

enum { CALL = 0x60, REPLY = 0x61 };

int main(int argc, char **argv)
{
    if (argc < 4) {
        s9_printf("usage: proc_callsrv PATH DELAY_MS TAG\n");
        return 2;
    }
    const char *path = argv[1];
    long delay_ms = s9_atol(argv[2]);
    char tag = argv[3][0];
    long me = sys_getpid();

    long port = sys_ipc_create_port(0);
    CHECK_GT(port, 0);
    CHECK_EQ(sys_ipc_bind_port(port, path, strlen(path)), 0);

    IpcMessage m;
    memset(&m, 0, sizeof m);
    CHECK_EQ(sys_ipc_recv(port, &m), 0);
    CHECK_EQ(m.msg_type, CALL);
    CHECK_GT(m.sender, 0);
    CHECK_EQ(m.flags, 0);
    s9_sleep_ns(delay_ms * 1000000L); /* the caller stays blocked meanwhile */

    IpcMessage r;
    memset(&r, 0, sizeof r);
    r.sender = m.sender;
    r.msg_type = REPLY;
    r.payload[0] = (uint8_t)tag;
    for (int i = 0; i < 23 && m.payload[i]; i++) {
        uint8_t c = m.payload[i];
        r.payload[1 + i] = (c >= 'a' && c <= 'z') ? (uint8_t)(c - 'a' + 'A') : c;
    }
    memcpy(r.payload + 24, &m.sender, 8);
    memcpy(r.payload + 32, &me, 8);
    CHECK_EQ(sys_ipc_reply(&r), 0);
    return s9test_done();
}
