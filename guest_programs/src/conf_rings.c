/*
 * conf_rings: conformance of the shared rings, ABI.md section 7 rows
 * SYS_IPC_RING_CREATE (210) and SYS_IPC_RING_MAP (211): size 0 -> EINVAL,
 * 2**40 -> ENOMEM at once, the size rounded up to pages, mapped read/write
 * at or above 0x6000_0000, zero-filled, errors in upstream order (out == 0
 * -> EFAULT first, then the handle: EPERM, then the type: EBADF), two maps
 * in one process are the same memory, and a map in another process sees
 * the same bytes at once. That the mapping is not executable is checked by
 * conf_rings_nx (which must die with SIGSEGV).
 *
 * Run as pid 1 with conf_rings_peer as pid 2:
 *   strat9-emu run conf_rings.elf conf_rings_peer.elf
 * Exit code = number of failed checks.
 */
#include "strat9.h"
#include "s9test.h"
#include "s9conf.h"

#define BAD_HIGH ((void *)0xdead0000UL)
extern const unsigned char __ehdr_start[];
#define READ_ONLY ((void *)(uintptr_t)__ehdr_start)
#define UNKNOWN_H 0x7ffffff0UL

static const char PATH[] = "/conf/rings";
enum { HELLO = 1 };

static volatile uint8_t *as_bytes(uint64_t base) { return (volatile uint8_t *)(uintptr_t)base; }

static long count_nonzero(uint64_t base, size_t len)
{
    volatile uint8_t *p = as_bytes(base);
    long n = 0;
    for (size_t i = 0; i < len; i++)
        if (p[i])
            n++;
    return n;
}

/* Maps h and returns the mapped size; *base gets the address. */
static long map(long h, uint64_t *base)
{
    *base = 0;
    return sys_ipc_ring_map(h, base);
}

static void test_create(void)
{
    HandleInfo hi;
    s9test_note("SYS_IPC_RING_CREATE (210): size 0 -> EINVAL, too big -> ENOMEM at once");
    CHECK_EQ(sys_ipc_ring_create(0), -EINVAL);
    CHECK_EQ(sys_ipc_ring_create(1UL << 40), -ENOMEM);
    CHECK_EQ(sys_ipc_ring_create(~0UL), -ENOMEM);
    CHECK_EQ(sys_ipc_ring_create(1UL << 63), -ENOMEM);
    long r = sys_ipc_ring_create(1);
    CHECK_GT(r, 0); /* a failed create did not use up anything */
    CHECK_EQ(sys_handle_info(r, &hi), 0);
    CHECK_EQ(hi.resource_type, RES_SHARED_RING);
    CHECK_EQ(hi.permissions, PERM_READ | PERM_WRITE | PERM_GRANT | PERM_REVOKE);
    CHECK_EQ(sys_handle_close(r), 0);
}

static void test_map_sizes(void)
{
    static const struct { uint64_t size, mapped; } cases[] = {
        {1, 4096}, {4095, 4096}, {4096, 4096}, {4097, 8192}, {3 * 4096 + 5, 16384}, {65536, 65536},
    };
    s9test_note("SYS_IPC_RING_MAP (211): returns pages x 4096; base >= 0x60000000, page aligned, zero-filled");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t base = 0;
        long r = sys_ipc_ring_create(cases[i].size);
        CHECK_GT(r, 0);
        CHECK_EQ(map(r, &base), (long)cases[i].mapped);
        CHECK_GE(base, 0x60000000UL);
        CHECK_EQ(base % 4096, 0);
        CHECK_EQ(count_nonzero(base, cases[i].mapped), 0);
        /* every byte is writable and reads back */
        volatile uint8_t *p = as_bytes(base);
        for (size_t j = 0; j < cases[i].mapped; j++)
            p[j] = (uint8_t)(j * 13 + i);
        long wrong = 0;
        for (size_t j = 0; j < cases[i].mapped; j++)
            if (p[j] != (uint8_t)(j * 13 + i))
                wrong++;
        CHECK_EQ(wrong, 0);
        CHECK_EQ(sys_handle_close(r), 0);
    }
}

static void test_map_errors(void)
{
    uint64_t base = 0;
    s9test_note("SYS_IPC_RING_MAP errors: out == 0 -> EFAULT; unknown -> EPERM; not a ring -> EBADF; out unwritable -> EFAULT");
    long r = sys_ipc_ring_create(100);
    long port = sys_ipc_create_port(0), chan = sys_chan_create(1), sem = sys_sem_create(0);
    CHECK_EQ(sys_ipc_ring_map(r, NULL), -EFAULT);
    CHECK_EQ(sys_ipc_ring_map(UNKNOWN_H, NULL), -EFAULT); /* out first */
    CHECK_EQ(sys_ipc_ring_map(port, NULL), -EFAULT);
    CHECK_EQ(sys_ipc_ring_map(UNKNOWN_H, &base), -EPERM);
    CHECK_EQ(sys_ipc_ring_map(port, &base), -EBADF);
    CHECK_EQ(sys_ipc_ring_map(chan, &base), -EBADF);
    CHECK_EQ(sys_ipc_ring_map(sem, &base), -EBADF);
    CHECK_EQ(sys_ipc_ring_map(UNKNOWN_H, BAD_HIGH), -EPERM);
    CHECK_EQ(sys_ipc_ring_map(sem, BAD_HIGH), -EBADF);
    CHECK_EQ(base, 0); /* nothing written by the failures */
    CHECK_EQ(sys_ipc_ring_map(r, BAD_HIGH), -EFAULT);
    CHECK_EQ(sys_ipc_ring_map(r, READ_ONLY), -EFAULT);
    CHECK_EQ(__ehdr_start[0], 0x7f);
    long closed = sys_handle_duplicate(r);
    CHECK_EQ(sys_handle_close(closed), 0);
    CHECK_EQ(sys_ipc_ring_map(closed, &base), -EPERM);
    sys_handle_close(port);
    sys_handle_close(chan);
    sys_handle_close(sem);
    sys_handle_close(r);
}

static void test_two_maps(void)
{
    uint64_t b1 = 0, b2 = 0, bo = 0;
    s9test_note("two maps of one ring in one process are the same memory; other rings are not");
    long r = sys_ipc_ring_create(8192);
    long other = sys_ipc_ring_create(8192);
    CHECK_EQ(map(r, &b1), 8192);
    CHECK_EQ(map(r, &b2), 8192);
    CHECK_EQ(map(other, &bo), 8192);
    CHECK_NE(b1, b2);
    CHECK(b1 + 8192 <= b2 || b2 + 8192 <= b1); /* separate ranges */
    CHECK(bo + 8192 <= b1 || b1 + 8192 <= bo);
    CHECK(bo + 8192 <= b2 || b2 + 8192 <= bo);
    volatile uint8_t *p1 = as_bytes(b1), *p2 = as_bytes(b2);
    p1[0] = 0xa1;
    p1[8191] = 0xa2;
    CHECK_EQ(p2[0], 0xa1);
    CHECK_EQ(p2[8191], 0xa2);
    p2[4096] = 0xb3;
    CHECK_EQ(p1[4096], 0xb3);
    CHECK_EQ(count_nonzero(bo, 8192), 0);
    /* a duplicate handle maps the same ring too */
    uint64_t b3 = 0;
    long d = sys_handle_duplicate(r);
    CHECK_EQ(map(d, &b3), 8192);
    CHECK_EQ(as_bytes(b3)[4096], 0xb3);
    sys_handle_close(d);
    sys_handle_close(other);
    sys_handle_close(r);
}

static void test_with_peer(long port)
{
    IpcMessage m;
    uint64_t base = 0;
    s9test_note("a map in another process sees the same bytes, at once");
    long r = sys_ipc_ring_create(2 * 4096);
    CHECK_EQ(map(r, &base), 8192);
    volatile uint8_t *p = as_bytes(base);
    for (int i = 0; i < 4096; i++)
        p[i] = (uint8_t)(i ^ 0x5a);

    memset(&m, 0, sizeof m);
    CHECK_EQ(sys_ipc_recv(port, &m), 0);
    CHECK_EQ(m.msg_type, HELLO);
    long peer = (long)m.sender;
    long g = sys_handle_grant(r, peer);
    CHECK_GT(g, 0);
    memset(&m, 0, sizeof m);
    m.sender = (uint64_t)peer;
    m.msg_type = HELLO;
    put64(&m, 0, (uint64_t)g);
    CHECK_EQ(sys_ipc_reply(&m), 0);

    /* the peer checks page 0, fills page 1, then sets the last byte */
    int spins = 0;
    while (p[8191] != 1 && spins < 100000) {
        sys_proc_yield();
        spins++;
    }
    CHECK_EQ(p[8191], 1);
    long wrong = 0;
    for (int i = 4096; i < 8191; i++)
        if (p[i] != (uint8_t)(i * 3))
            wrong++;
    CHECK_EQ(wrong, 0);
    p[4000] = 0x77; /* the peer is spinning on this byte */
    s9_sleep_ns(2000000);
    CHECK_EQ(p[4001], 0x88); /* its answer */
}

int main(void)
{
    /* Bound before any long computation, so the peer's first connect finds
     * it whichever compiler built us: the trace does not depend on how far
     * the limited slices got. */
    long port = sys_ipc_create_port(0);
    CHECK_EQ(sys_ipc_bind_port(port, PATH, sizeof PATH - 1), 0);
    test_create();
    test_map_sizes();
    test_map_errors();
    test_two_maps();
    test_with_peer(port);
    return s9test_done();
}
