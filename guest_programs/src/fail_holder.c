/*
 * fail_holder: holds the last handles of a semaphore and a channel that
 * threads of another process (fail_waiter) are blocked on, then exits with
 * code 7, for tests/emu/test_failures.py. It binds "/fail/holder" and answers
 * two calls, handing over a semaphore (first reply) and a channel (second)
 * by handle transfer; then it sleeps (virtual time) while the waiter's
 * threads block and the waiter closes its own copies, and exits: its exit
 * releases the last handles, which destroys both objects, and the blocked
 * threads must fail with EPIPE (ABI.md section 4).
 */
#include "strat9.h"

int main(void)
{
    static const char path[] = "/fail/holder";
    long port = sys_ipc_create_port(0);
    long sem = sys_sem_create(0);
    long chan = sys_chan_create(4);
    if (port < 0 || sem < 0 || chan < 0 || sys_ipc_bind_port((uint64_t)port, path, sizeof path - 1) != 0)
        return 2;
    long give[2] = {sem, chan};
    for (int i = 0; i < 2; i++) {
        IpcMessage m;
        if (sys_ipc_recv((uint64_t)port, &m) != 0)
            return 3;
        m.flags = (uint32_t)give[i];
        if (sys_ipc_reply(&m) != 0)
            return 4;
    }
    s9_printf("holder: gave a semaphore and a channel; exiting with the last handles\n");
    s9_sleep_ns(5000000);
    return 7;
}
