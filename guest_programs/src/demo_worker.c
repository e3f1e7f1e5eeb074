/* demo_worker: the worker side of the multi-process demo. For now it only
 * shows scheduling: lines interleaved with yields and virtual-time sleeps.
 * It will grow into the IPC client later. */
#include "strat9.h"

int main(void)
{
    long pid = sys_getpid();
    s9_printf("worker %ld: started\n", pid);
    for (int i = 1; i <= 4; i++) {
        s9_printf("worker %ld: step %d\n", pid, i);
        sys_proc_yield();
        s9_sleep_ns(1000000); /* 1 ms of virtual time */
    }
    s9_printf("worker %ld: done\n", pid);
    return 0;
}
