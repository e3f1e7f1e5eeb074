/*
 * scn_deadlock_b: scenario (e), one of two processes that deadlock. It
 * serves "/srv/deadlock-b", connects to "/srv/deadlock-a", and then waits
 * in SYS_IPC_RECV on its own port for the other side's request before
 * sending its own, as does the other side: every task blocks and the run
 * stops as a deadlock (exit status 125), with a report naming both tasks
 * and what each waits on.
 *   strat9-emu run scn_deadlock_a.elf scn_deadlock_b.elf
 */
#include "strat9.h"

static const char OWN[] = "/srv/deadlock-b";
static const char OTHER[] = "/srv/deadlock-a";

int main(void)
{
    long port = sys_ipc_create_port(0);
    if (port < 0 || sys_ipc_bind_port(port, OWN, sizeof OWN - 1) != 0)
        return 100;
    long peer = -ENOENT;
    for (int i = 0; i < 100000 && peer == -ENOENT; i++) {
        peer = sys_ipc_connect(OTHER, sizeof OTHER - 1);
        if (peer == -ENOENT)
            sys_proc_yield();
    }
    if (peer < 0)
        return 101;
    s9_printf("deadlock b (pid %ld): waiting on h=%ld for the other side to speak first\n", sys_getpid(), port);
    IpcMessage m;
    memset(&m, 0, sizeof m);
    sys_ipc_recv(port, &m); /* never returns */
    m.msg_type = 1;
    sys_ipc_send(peer, &m);
    s9_printf("deadlock b: no deadlock?\n");
    return 0;
}
