/* bench_ipc_client: argv[1] SYS_IPC_CALL round trips to "/srv/bench", then
 * tells the server to quit. Prints nothing while measuring. */
#include "strat9.h"

int main(int argc, char **argv)
{
    long n = argc > 1 ? s9_atol(argv[1]) : 10000;
    static const char path[] = "/srv/bench";
    long port;
    while ((port = sys_ipc_connect(path, sizeof path - 1)) == -ENOENT)
        sys_proc_yield();
    if (port < 0)
        return 1;
    IpcMessage msg;
    for (long i = 0; i < n; i++) {
        memset(&msg, 0, sizeof msg);
        msg.msg_type = 1;
        msg.payload[0] = (uint8_t)i;
        if (sys_ipc_call(port, &msg) != 0 || msg.payload[0] != (uint8_t)i)
            return 2;
    }
    memset(&msg, 0, sizeof msg);
    msg.msg_type = 2;
    return sys_ipc_send(port, &msg) == 0 ? 0 : 3;
}
