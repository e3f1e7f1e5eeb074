/* bench_ipc_server: the echo server of the IPC round-trip benchmark. It binds
 * "/srv/bench", answers every call with its own message, and exits when a
 * message of type 2 (quit) arrives. */
#include "strat9.h"

#define MSG_QUIT 2

int main(void)
{
    long port = sys_ipc_create_port(0);
    static const char path[] = "/srv/bench";
    if (port < 0 || sys_ipc_bind_port(port, path, sizeof path - 1) != 0)
        return 1;
    IpcMessage msg;
    for (;;) {
        if (sys_ipc_recv(port, &msg) != 0)
            return 2;
        if (msg.msg_type == MSG_QUIT)
            return 0;
        if (sys_ipc_reply(&msg) != 0)
            return 3;
    }
}
