/* fault_segv_read: a load from an unmapped address; expect SIGSEGV (139). */
#include "strat9.h"

int main(void)
{
    s9_printf("fault_segv_read: reading 0xdead0000\n");
    volatile uint32_t *p = (volatile uint32_t *)0xdead0000UL;
    uint32_t v = *p;
    s9_printf("fault_segv_read: no fault, read %u\n", v);
    return 100;
}
