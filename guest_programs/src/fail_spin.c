/*
 * fail_spin [spin|syscalls]: a server at "/fail/spin" that takes one call
 * and never answers: it loops forever, without syscalls ("spin", the
 * default) or making SYS_NULL calls ("syscalls"), while its client
 * (fail_client /fail/spin) waits in SYS_IPC_CALL. Only a time or
 * instruction limit ends the run (tests/emu/test_failures.py).
 */
#include "strat9.h"

int main(int argc, char **argv)
{
    int syscalls = argc > 1 && strcmp(argv[1], "syscalls") == 0;
    static const char path[] = "/fail/spin";
    long h = sys_ipc_create_port(0);
    if (h < 0 || sys_ipc_bind_port((uint64_t)h, path, sizeof path - 1) != 0)
        return 2;
    IpcMessage m;
    if (sys_ipc_recv((uint64_t)h, &m) != 0)
        return 3;
    s9_printf("spin: took a call from task %lu; looping %s\n", (unsigned long)m.sender,
              syscalls ? "with syscalls" : "without syscalls");
    volatile unsigned long n = 0;
    for (;;) {
        if (syscalls)
            sys_null();
        n++;
    }
}
