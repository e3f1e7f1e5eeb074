/*
 * conf_unpriv_peer: the admin reporter of conf_unpriv. Binds
 * "/conf/unpriv-log", receives one message per check of the unprivileged
 * conf_unpriv (which has no console) and prints it as a TAP line.
 *   strat9-emu run --unprivileged 2 conf_unpriv_peer.elf conf_unpriv.elf
 * Exit code = number of failed checks reported.
 */
#include "strat9.h"

static const char LOG_PATH[] = "/conf/unpriv-log";
enum { RESULT = 1, DONE = 2 };

int main(void)
{
    IpcMessage m;
    long port = sys_ipc_create_port(0);
    if (port < 0 || sys_ipc_bind_port(port, LOG_PATH, sizeof LOG_PATH - 1) != 0)
        return 100;
    s9_printf("# conf_unpriv (an unprivileged task) reports through conf_unpriv_peer\n");
    int n = 0, failed = 0;
    for (;;) {
        memset(&m, 0, sizeof m);
        if (sys_ipc_recv(port, &m) != 0)
            return 101;
        if (m.msg_type == DONE)
            break;
        uint16_t ok, line;
        long got, want;
        char text[IPC_PAYLOAD_SIZE];
        memcpy(&ok, m.payload, 2);
        memcpy(&line, m.payload + 2, 2);
        memcpy(&got, m.payload + 4, 8);
        memcpy(&want, m.payload + 12, 8);
        memcpy(text, m.payload + 20, IPC_PAYLOAD_SIZE - 20);
        text[IPC_PAYLOAD_SIZE - 21] = '\0';
        n++;
        if (ok) {
            s9_printf("ok %d - [unpriv pid %lu, conf_unpriv.c:%u] %s\n", n, (unsigned long)m.sender, line, text);
        } else {
            failed++;
            s9_printf("not ok %d - [unpriv pid %lu, conf_unpriv.c:%u] %s: got %ld (%s), expected %ld (%s)\n", n,
                      (unsigned long)m.sender, line, text, got, errno_name(got), want, errno_name(want));
        }
    }
    s9_printf("1..%d\n# passed %d failed %d\n", n, n - failed, failed);
    return failed;
}
