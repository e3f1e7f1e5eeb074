/* fault_bus: a push through a non-canonical stack pointer. On x86-64 that
 * is a stack-segment fault (#SS), which Linux delivers as SIGBUS. */
#include "strat9.h"

int main(void)
{
    s9_printf("fault_bus: pushing through a non-canonical rsp\n");
    __asm__ volatile("movabs $0x8000000000001000, %%rsp\n\tpush %%rax" ::: "memory");
    s9_printf("fault_bus: still alive?\n");
    return 1;
}
