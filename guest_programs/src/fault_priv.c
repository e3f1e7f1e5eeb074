/* fault_priv: cli is privileged at IOPL 0; in user mode it raises #GP,
 * which a Unix kernel reports as SIGSEGV (139). */
#include "strat9.h"

int main(void)
{
    s9_printf("fault_priv: executing cli\n");
    __asm__ volatile("cli");
    s9_printf("fault_priv: no fault\n");
    return 100;
}
