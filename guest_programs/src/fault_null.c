/* fault_null: a call through a NULL function pointer (instruction fetch
 * at address 0); expect SIGSEGV (139). */
#include "strat9.h"

int main(void)
{
    s9_printf("fault_null: calling a NULL function pointer\n");
    void (*volatile fn)(void) = 0;
    fn();
    s9_printf("fault_null: no fault\n");
    return 100;
}
