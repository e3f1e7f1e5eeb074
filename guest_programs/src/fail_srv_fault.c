/*
 * fail_srv_fault: a server that faults in the middle of its work, for
 * tests/emu/test_failures.py. It binds a port at "/fail/srv", takes one call
 * and leaves it unanswered, sleeps (virtual time) while the other clients
 * (fail_client) queue their calls and block, then writes through a NULL
 * pointer (SIGSEGV). A second thread waits meanwhile in ipc_recv on another
 * port, so that the fault ends a process with a blocked thread. Every client
 * must get the kernel's EPIPE error reply (ABI.md section 5).
 */
#include "strat9.h"

static uint8_t stack[16384] __attribute__((aligned(16)));
static long other_port;

static int waiter(void *arg)
{
    (void)arg;
    IpcMessage m;
    return (int)sys_ipc_recv((uint64_t)other_port, &m); /* never returns: nobody sends there */
}

int main(void)
{
    static const char path[] = "/fail/srv";
    long h = sys_ipc_create_port(0);
    if (h < 0 || sys_ipc_bind_port((uint64_t)h, path, sizeof path - 1) != 0)
        return 2;
    other_port = sys_ipc_create_port(0);
    if (s9_thread_spawn(waiter, NULL, stack, sizeof stack, 0) < 0)
        return 3;
    IpcMessage m;
    long r = sys_ipc_recv((uint64_t)h, &m);
    s9_printf("server: recv = %ld, a call from task %lu left unanswered\n", r, (unsigned long)m.sender);
    s9_sleep_ns(2000000); /* the other clients queue their calls meanwhile */
    s9_printf("server: faulting now\n");
    *(volatile int *)(uintptr_t)0 = 1;
    return 4;
}
