/*
 * demo_ipc_client: a plain client of the IPC demo: connects to "/srv/echo"
 * (retrying while it is not bound yet), makes three echo calls, says bye.
 */
#include "strat9.h"

enum { ECHO = 1, SHARE = 2, RING = 3, BYE = 4, REPLY = 0x100 };
static const char PATH[] = "/srv/echo";

int main(void)
{
    static const char *const words[] = {"hello", "strat9 ipc", "goodbye"};
    long pid = sys_getpid();
    long h = -ENOENT;
    while (h == -ENOENT) {
        h = sys_ipc_connect(PATH, sizeof PATH - 1);
        if (h == -ENOENT)
            sys_proc_yield();
    }
    if (h < 0)
        return 1;
    for (int i = 0; i < 3; i++) {
        IpcMessage m;
        memset(&m, 0, sizeof m);
        m.msg_type = ECHO;
        s9_snprintf((char *)m.payload, IPC_PAYLOAD_SIZE, "%s", words[i]);
        if (sys_ipc_call(h, &m) != 0)
            return 2;
        s9_printf("[client %ld] \"%s\" -> \"%s\"\n", pid, words[i], (char *)m.payload);
    }
    IpcMessage bye;
    memset(&bye, 0, sizeof bye);
    bye.msg_type = BYE;
    return sys_ipc_call(h, &bye) == 0 ? 0 : 3;
}
