/* talker: 20 numbered lines with a yield after each. Run beside busy_loop
 * it only gets the CPU back if the watchdog preempts the busy task. */
#include "strat9.h"

int main(void)
{
    for (int i = 1; i <= 20; i++) {
        s9_printf("talker: line %d\n", i);
        sys_proc_yield();
    }
    return 0;
}
