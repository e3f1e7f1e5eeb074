/*
 * conf_rings_peer: the second process of conf_rings (ABI.md section 7).
 * Gets a ring granted by conf_rings, maps it, sees the bytes conf_rings
 * wrote, writes its own into the second page and signals through the ring
 * itself (no syscall in between: a store is seen by the other process at
 * once), then waits, yielding, for conf_rings' answer in the ring.
 * Exit code = number of failed checks.
 */
#include "strat9.h"
#include "s9test.h"
#include "s9conf.h"

static const char PATH[] = "/conf/rings";
enum { HELLO = 1 };

int main(void)
{
    IpcMessage m;
    HandleInfo hi;
    uint64_t base = 0;

    s9test_note("conf_rings_peer: pid %ld", sys_getpid());
    long h = connect_retry(PATH, sizeof PATH - 1);
    CHECK_GT(h, 0);
    memset(&m, 0, sizeof m);
    m.msg_type = HELLO;
    CHECK_EQ(sys_ipc_call(h, &m), 0);
    long r = (long)get64(&m, 0);
    CHECK_EQ(sys_handle_info(r, &hi), 0);
    CHECK_EQ(hi.resource_type, RES_SHARED_RING);
    CHECK_EQ(hi.permissions, 27);

    CHECK_EQ(sys_ipc_ring_map(r, &base), 8192);
    CHECK_GE(base, 0x60000000UL);
    volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)base;
    long wrong = 0;
    for (int i = 0; i < 4096; i++)
        if (p[i] != (uint8_t)(i ^ 0x5a))
            wrong++;
    CHECK_EQ(wrong, 0); /* conf_rings' bytes */
    for (int i = 4096; i < 8191; i++)
        p[i] = (uint8_t)(i * 3);
    p[8191] = 1; /* done */

    int spins = 0;
    while (p[4000] != 0x77 && spins < 100000) {
        sys_proc_yield();
        spins++;
    }
    CHECK_EQ(p[4000], 0x77);
    p[4001] = 0x88;
    return s9test_done();
}
