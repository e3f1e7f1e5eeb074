/* fault_write_ro: a store into .rodata, which is mapped without write
 * permission; expect SIGSEGV (139). */
#include "strat9.h"

static const uint32_t constant = 42;

int main(void)
{
    s9_printf("fault_write_ro: writing to .rodata\n");
    /* volatile so the compiler must emit the store it would otherwise drop */
    volatile uint32_t *p = (volatile uint32_t *)(uintptr_t)&constant;
    *p = 43;
    s9_printf("fault_write_ro: no fault, value now %u\n", *p);
    return 100;
}
