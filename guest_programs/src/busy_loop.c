/* busy_loop: computes for a long time without a single syscall, so only
 * the emulator's slice limit (translation blocks, or --exact instruction
 * counting) can preempt it.
 * argv[1] overrides the iteration count (default 3e8). The checksum is pure
 * 64-bit unsigned arithmetic: the same for every compiler and level. */
#include "strat9.h"

int main(int argc, char **argv)
{
    long n = argc > 1 ? s9_atol(argv[1]) : 300000000L;
    s9_printf("busy_loop: start, %ld iterations\n", n);

    /* volatile: stops the compiler from folding or vectorising the loop */
    volatile uint64_t state = 0x9E3779B97F4A7C15ULL;
    for (volatile long i = 0; i < n; i++) {
        uint64_t x = state;
        x = x * 6364136223846793005ULL + 1442695040888963407ULL; /* LCG step */
        x ^= x >> 29; /* xorshift: no closed form for the loop */
        state = x;
    }

    s9_printf("busy_loop: done, checksum %016llx\n", (unsigned long long)state);
    return 0;
}
