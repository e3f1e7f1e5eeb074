/* syscall_loop: SYS_NULL argv[1] times (default 200000), for the benchmark
 * of syscall round trips. Exit code 1 if any call returned a wrong value. */
#include "strat9.h"

int main(int argc, char **argv)
{
    long n = argc > 1 ? s9_atol(argv[1]) : 200000;
    long bad = 0;
    for (long i = 0; i < n; i++)
        if (sys_null() != SYS_NULL_MAGIC)
            bad++;
    s9_printf("syscall_loop: %ld calls, %ld bad\n", n, bad);
    return bad != 0;
}
