/*
 * scn_deadlock SIDE: scenario (e), one of two processes that deadlock
 * (SIDE is a or b). It serves "/srv/deadlock-SIDE", connects to the other
 * side's path, and then waits in SYS_IPC_RECV on its own port for the other
 * side's request before sending its own, as does the other side: every
 * task blocks and the run stops as a deadlock (exit status 125), with a
 * report naming both tasks and what each waits on.
 *   strat9-emu run --args 1 a --args 2 b scn_deadlock.elf scn_deadlock.elf
 */
#include "strat9.h"

int main(int argc, char **argv)
{
    if (argc < 2 || (argv[1][0] != 'a' && argv[1][0] != 'b') || argv[1][1])
        return 2;
    char own[] = "/srv/deadlock-?", other[] = "/srv/deadlock-?";
    char side = argv[1][0];
    own[sizeof own - 2] = side;
    other[sizeof other - 2] = side == 'a' ? 'b' : 'a';

    long port = sys_ipc_create_port(0);
    if (port < 0 || sys_ipc_bind_port(port, own, sizeof own - 1) != 0)
        return 100;
    long peer = -ENOENT;
    for (int i = 0; i < 100000 && peer == -ENOENT; i++) {
        peer = sys_ipc_connect(other, sizeof other - 1);
        if (peer == -ENOENT)
            sys_proc_yield();
    }
    if (peer < 0)
        return 101;
    s9_printf("deadlock %c (pid %ld): waiting on h=%ld for the other side to speak first\n", side, sys_getpid(),
              port);
    IpcMessage m;
    memset(&m, 0, sizeof m);
    sys_ipc_recv(port, &m); /* never returns */
    m.msg_type = 1;
    sys_ipc_send(peer, &m);
    s9_printf("deadlock %c: no deadlock?\n", side);
    return 0;
}
