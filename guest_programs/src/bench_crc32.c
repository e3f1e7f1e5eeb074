/* bench_crc32: the compute benchmark. Bitwise (table-free) CRC-32, the
 * reflected IEEE polynomial, over a 1 MiB buffer, argv[1] passes (default
 * 40); each pass continues the previous CRC. Prints the final value, which
 * every runner must agree on. Register-bound inner loop: one load per byte,
 * eight shift/xor rounds per load. Also built for Linux by bench/ (the
 * shim of bench/linux provides the few calls used here). */
#include "strat9.h"

#define BUF_SIZE (1024 * 1024)

static uint8_t buf[BUF_SIZE];

static uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

int main(int argc, char **argv)
{
    long passes = argc > 1 ? s9_atol(argv[1]) : 40;
    uint32_t x = 0x12345678u; /* xorshift32: deterministic contents */
    for (size_t i = 0; i < BUF_SIZE; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf[i] = (uint8_t)x;
    }
    uint32_t crc = 0;
    for (long p = 0; p < passes; p++)
        crc = crc32_update(crc, buf, BUF_SIZE);
    /* Known answer for the standard check string "123456789". */
    static const uint8_t check[] = "123456789";
    int ok = crc32_update(0, check, 9) == 0xCBF43926u;
    s9_printf("crc32: %ld passes over %d bytes: %08x%s\n", passes, BUF_SIZE, (unsigned)crc, ok ? "" : " (self-check FAILED)");
    return ok ? 0 : 1;
}
