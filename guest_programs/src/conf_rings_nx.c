/*
 * conf_rings_nx: a shared ring is mapped read/write but not executable
 * (ABI.md section 7, SYS_IPC_RING_MAP). Writes a `ret` into a mapped ring
 * and calls it: the instruction fetch must fault, so the expected outcome
 * is death by SIGSEGV (exit status 139). Returning would mean the mapping
 * was executable: then it exits with 100.
 */
#include "strat9.h"

int main(void)
{
    uint64_t base = 0;
    long r = sys_ipc_ring_create(4096);
    long size = sys_ipc_ring_map(r, &base);
    if (r <= 0 || size != 4096 || base < 0x60000000UL) {
        s9_printf("conf_rings_nx: setup failed (ring %ld, size %ld)\n", r, size);
        return 2;
    }
    volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)base;
    p[0] = 0xc3; /* ret: the store itself must work */
    if (p[0] != 0xc3)
        return 3;
    s9_printf("conf_rings_nx: calling into the ring mapping\n");
    void (*volatile fn)(void) = (void (*)(void))(uintptr_t)base;
    fn();
    s9_printf("conf_rings_nx: the ring mapping was executable\n");
    return 100;
}
