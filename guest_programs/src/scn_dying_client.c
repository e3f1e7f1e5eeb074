/*
 * scn_dying_client: scenario (d), the client of scn_dying_server. Calls
 * "/srv/dying" and expects, once the server has gone (exit or fault), the
 * kernel's EPIPE error reply: SYS_IPC_CALL returns 0 with msg_type 0x80 and
 * payload[0..4] = 32 (ABI.md section 5). Afterwards the port is gone.
 * Exit code = number of failed checks.
 */
#include "strat9.h"
#include "s9test.h"

static const char PATH[] = "/srv/dying";

int main(void)
{
    long h = -ENOENT;
    for (int i = 0; i < 100000 && h == -ENOENT; i++) {
        h = sys_ipc_connect(PATH, sizeof PATH - 1);
        if (h == -ENOENT)
            sys_proc_yield();
    }
    CHECK_GT(h, 0);
    IpcMessage m;
    memset(&m, 0, sizeof m);
    m.msg_type = 0x33;
    s9_snprintf((char *)m.payload, IPC_PAYLOAD_SIZE, "are you there?");
    long r = sys_ipc_call(h, &m);
    CHECK_EQ(r, 0);
    uint32_t err;
    memcpy(&err, m.payload, 4);
    s9_printf("client: call returned %ld, reply type %#x, payload errno %u (%s)\n", r, m.msg_type,
              (unsigned)err, errno_name((long)err));
    CHECK_EQ(m.msg_type, 0x80);
    CHECK_EQ(err, EPIPE);
    CHECK_EQ(m.flags, 0);
    int nonzero = 0;
    for (int i = 4; i < IPC_PAYLOAD_SIZE; i++)
        nonzero += m.payload[i] != 0;
    CHECK_EQ(nonzero, 0); /* the rest of the payload is zero */

    /* the server's port went with it */
    memset(&m, 0, sizeof m);
    CHECK_EQ(sys_ipc_send(h, &m), -EBADF);
    CHECK_EQ(sys_ipc_call(h, &m), -EBADF);
    CHECK_EQ(sys_ipc_connect(PATH, sizeof PATH - 1), -EBADF);
    return s9test_done();
}
