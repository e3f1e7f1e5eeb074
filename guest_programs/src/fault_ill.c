/* fault_ill: ud2, the architecturally undefined instruction; expect
 * SIGILL (132). */
#include "strat9.h"

int main(void)
{
    s9_printf("fault_ill: executing ud2\n");
    __asm__ volatile("ud2");
    s9_printf("fault_ill: no fault\n");
    return 100;
}
