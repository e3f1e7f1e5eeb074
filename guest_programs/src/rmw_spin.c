/* rmw_spin: read-modify-write instructions on memory in a loop without
 * syscalls, long enough to be preempted many times. Each iteration adds 1
 * with `add [mem], 1`, 1 with `inc [mem]` and 2 with `xadd [mem], reg`: a
 * preemption that re-ran one of them on resume would show in the totals
 * (unicorn issue #1355). argv[1]: iterations (default 2e6). */
#include "strat9.h"

static volatile uint64_t counter_add, counter_inc, counter_xadd;

int main(int argc, char **argv)
{
    long n = argc > 1 ? s9_atol(argv[1]) : 2000000L;
    for (long i = 0; i < n; i++) {
        uint64_t two = 2;
        __asm__ volatile("addq $1, %0" : "+m"(counter_add));
        __asm__ volatile("incq %0" : "+m"(counter_inc));
        __asm__ volatile("xaddq %1, %0" : "+m"(counter_xadd), "+r"(two));
    }
    s9_printf("rmw_spin: %ld iterations: add %llu inc %llu xadd %llu\n", n, (unsigned long long)counter_add,
              (unsigned long long)counter_inc, (unsigned long long)counter_xadd);
    return counter_add == (uint64_t)n && counter_inc == (uint64_t)n && counter_xadd == 2 * (uint64_t)n ? 0 : 1;
}
