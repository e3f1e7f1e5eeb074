/* fault_fpe: integer division by zero (#DE); expect SIGFPE (136). */
#include "strat9.h"

int main(void)
{
    s9_printf("fault_fpe: dividing by zero\n");
    /* volatile operands: the division must happen at run time */
    volatile long num = 7, den = 0;
    long q = num / den;
    s9_printf("fault_fpe: no fault, quotient %ld\n", q);
    return 100;
}
