/* fault_exec: a jump into .data, which is mapped without execute
 * permission; expect SIGSEGV (139). The bytes are a valid `ret`, so only a
 * missing NX check lets the call come back. */
#include "strat9.h"

static unsigned char data_code[16] = {0xc3}; /* ret */

int main(void)
{
    s9_printf("fault_exec: calling into .data\n");
    /* volatile: keep the indirect call through the data address */
    void (*volatile fn)(void) = (void (*)(void))(uintptr_t)data_code;
    fn();
    s9_printf("fault_exec: no fault\n");
    return 100;
}
