/* demo_parent: the parent side of the multi-process demo. It prints, then
 * sleeps in virtual time so the worker runs, and prints again. It will grow
 * into the IPC server later. */
#include "strat9.h"

int main(void)
{
    long pid = sys_getpid();
    s9_printf("parent %ld: started\n", pid);
    for (int i = 1; i <= 3; i++) {
        s9_sleep_ns(2500000); /* 2.5 ms: the worker gets a few steps in */
        s9_printf("parent %ld: woke up (%d)\n", pid, i);
    }
    s9_printf("parent %ld: done\n", pid);
    return 0;
}
