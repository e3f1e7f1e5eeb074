/* fault_segv_write: a store to an unmapped address; expect SIGSEGV (139). */
#include "strat9.h"

int main(void)
{
    s9_printf("fault_segv_write: writing 0xdead0000\n");
    volatile uint32_t *p = (volatile uint32_t *)0xdead0000UL;
    *p = 0x57A79;
    s9_printf("fault_segv_write: no fault\n");
    return 100;
}
