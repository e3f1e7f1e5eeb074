/* bench_fib: the call/stack benchmark. Naive recursive Fibonacci, fib(N)
 * computed R times (argv[1] = N, default 27; argv[2] = R, default 10):
 * about 630k calls per fib(27), each a call, pushes and pops of saved
 * registers, and a ret. Prints the result, which every runner must agree
 * on. Also built for Linux by bench/. */
#include "strat9.h"

/* noinline and an opaque argument: the compiler must really recurse. */
__attribute__((noinline)) static unsigned long fib(unsigned long n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? s9_atol(argv[1]) : 27;
    long reps = argc > 2 ? s9_atol(argv[2]) : 10;
    unsigned long sum = 0;
    for (long r = 0; r < reps; r++) {
        volatile unsigned long arg = (unsigned long)n; /* not hoisted out of the loop */
        sum += fib(arg);
    }
    s9_printf("fib(%ld) x %ld: %lu\n", n, reps, sum / (unsigned long)(reps ? reps : 1));
    return 0;
}
