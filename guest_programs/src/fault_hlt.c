/* fault_hlt: hlt is privileged; in user mode it raises #GP, which a Unix
 * kernel reports as SIGSEGV (139). */
#include "strat9.h"

int main(void)
{
    s9_printf("fault_hlt: executing hlt\n");
    __asm__ volatile("hlt");
    s9_printf("fault_hlt: no fault\n");
    return 100;
}
