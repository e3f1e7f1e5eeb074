/*
 * scn_dying_server: scenario (d), a server at "/srv/dying" that never
 * replies. argv[1] chooses how it goes away while its client waits in
 * SYS_IPC_CALL:
 *   exit        receive the request, then exit;
 *   exit-early  exit without receiving (the request is still queued);
 *   fault       receive the request, then write to NULL (SIGSEGV).
 *   strat9-emu run scn_dying_client.elf --args 2 fault scn_dying_server.elf
 */
#include "strat9.h"

static const char PATH[] = "/srv/dying";

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "exit";
    long port = sys_ipc_create_port(0);
    if (port < 0 || sys_ipc_bind_port(port, PATH, sizeof PATH - 1) != 0)
        return 100;
    s9_printf("dying server %ld: serving %s, mode %s\n", sys_getpid(), PATH, mode);
    if (strcmp(mode, "exit-early") == 0) {
        s9_sleep_ns(5000000); /* the client's call is queued meanwhile */
        s9_printf("dying server: exiting with the request still queued\n");
        return 0;
    }
    IpcMessage m;
    memset(&m, 0, sizeof m);
    long r = sys_ipc_recv(port, &m);
    s9_printf("dying server: request from %lu (%s)\n", (unsigned long)m.sender, errno_name(r));
    s9_sleep_ns(2000000); /* the client is blocked waiting for our reply */
    if (strcmp(mode, "fault") == 0) {
        s9_printf("dying server: writing to NULL\n");
        *(volatile int *)(uintptr_t)0 = 1;
        return 101;
    }
    s9_printf("dying server: exiting without a reply\n");
    return 0;
}
