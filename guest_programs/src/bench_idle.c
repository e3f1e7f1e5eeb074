/* bench_idle: a process that only exists: it sleeps 1000 s of virtual time
 * (the clock jumps there once everything else is done) and exits. */
#include "strat9.h"

int main(void)
{
    return s9_sleep_ns(1000L * 1000000000L) == 0 ? 0 : 1;
}
