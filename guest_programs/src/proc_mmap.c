/*
 * proc_mmap: anonymous mappings, SYS_MMAP (100) and SYS_MUNMAP (101),
 * ABI.md section 8.
 *
 * Default mode, exit code = number of failed checks:
 *  - errors: len 0, flag bits outside SHARED|PRIVATE|FIXED|ANONYMOUS,
 *    MAP_FIXED at 0 or unaligned -> EINVAL; no MAP_ANONYMOUS -> an error;
 *    beyond the 1 GiB process limit -> ENOMEM; munmap of an unaligned
 *    address or of length 0 -> EINVAL;
 *  - placement: from 0x60000000 upward when addr is 0, lengths rounded up
 *    to pages; a hint is taken when free, else the first free range above;
 *    MAP_FIXED at the address given; fd is ignored;
 *  - zero-filled memory, written and read back;
 *  - PROT_READ, PROT_NONE, PROT_EXEC enforced for the guest's own accesses
 *    (checked in forked children: waitpid status 11) and for the kernel's
 *    (EFAULT); a PROT_EXEC mapping runs code;
 *  - munmap of one page of three: the others keep their data, the hole
 *    faults, a new MAP_FIXED mapping there is zero-filled;
 *  - the limit counts what is mapped: after an munmap the space is back.
 *
 * Mode sharedlimit: MAP_SHARED mappings beyond the limit -> ENOMEM (its
 * own run: a failure there could end the whole emulated system).
 *
 * Fault modes (argv[1]); each prints the address, then faults:
 *   unmapped   map, write, read back, munmap, read again -> SIGSEGV (139)
 *   rowrite    write to a PROT_READ mapping              -> SIGSEGV (139)
 *   noexec     call into a PROT_READ|PROT_WRITE mapping  -> SIGSEGV (139)
 */
#include "strat9.h"
#include "s9test.h"

#define PAGE 4096UL
#define RW (PROT_READ | PROT_WRITE)
#define PA (MAP_PRIVATE | MAP_ANONYMOUS)
#define BASE 0x60000000UL

static const uint8_t RET42[] = {0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3}; /* mov eax, 42; ret */

static long mm(uint64_t addr, uint64_t len, long prot, long flags)
{
    return sys_mmap((void *)(uintptr_t)addr, len, prot, flags, -1, 0);
}

static volatile uint8_t *P(long addr) { return (volatile uint8_t *)(uintptr_t)addr; }

static long nonzero_bytes(long addr, uint64_t len)
{
    long n = 0;
    for (uint64_t i = 0; i < len; i++)
        n += P(addr)[i] != 0;
    return n;
}

/* Fork a child that does `what` to addr; returns its wait status. */
enum { DO_READ, DO_WRITE, DO_CALL };
static int child_status(long addr, int what)
{
    long pid = sys_proc_fork();
    if (pid == 0) {
        if (what == DO_READ) {
            volatile uint8_t v = P(addr)[0];
            (void)v;
        } else if (what == DO_WRITE) {
            P(addr)[0] = 1;
        } else {
            int (*fn)(void) = (int (*)(void))(uintptr_t)addr;
            fn();
        }
        s9_exit(99); /* no fault */
    }
    if (pid < 0)
        return (int)pid;
    int st = -1;
    if (sys_proc_waitpid(pid, &st, 0) != pid)
        return -2;
    return st;
}

static void test_errors(void)
{
    s9test_note("SYS_MMAP errors");
    CHECK_EQ(mm(0, 0, RW, PA), -EINVAL);
    CHECK_EQ(mm(0, 0, RW, MAP_SHARED | MAP_ANONYMOUS), -EINVAL);
    CHECK_EQ(mm(0x70000000, 0, RW, PA | MAP_FIXED), -EINVAL);
    CHECK_EQ(mm(0, PAGE, RW, PA | 0x40), -EINVAL);
    CHECK_EQ(mm(0, PAGE, RW, PA | 0x100), -EINVAL);
    CHECK_EQ(mm(0, PAGE, RW, PA | 0x4000), -EINVAL);
    CHECK_EQ(mm(0, PAGE, RW, PA | 0x80000000L), -EINVAL);
    long r = mm(0, PAGE, RW, MAP_PRIVATE); /* anonymous only */
    CHECK(S9_IS_ERR(r));
    s9test_note("no MAP_ANONYMOUS gave %ld (%s)", r, errno_name(r));
    CHECK_EQ(mm(0, PAGE, RW, MAP_PRIVATE | MAP_FIXED), r);
    CHECK_EQ(mm(0, PAGE, RW, PA | MAP_FIXED), -EINVAL);
    CHECK_EQ(mm(0x70000010, PAGE, RW, PA | MAP_FIXED), -EINVAL);
    CHECK_EQ(mm(0x70000800, PAGE, RW, PA | MAP_FIXED), -EINVAL);
    CHECK_EQ(mm(1, PAGE, RW, PA | MAP_FIXED), -EINVAL);
    s9test_note("beyond the 1 GiB process limit: ENOMEM");
    CHECK_EQ(mm(0, (1UL << 30) + PAGE, RW, PA), -ENOMEM);
    CHECK_EQ(mm(0, 1UL << 31, RW, PA), -ENOMEM);
    CHECK_EQ(mm(0, 1UL << 40, RW, PA), -ENOMEM);
    CHECK_EQ(mm(0x71000000, 1UL << 31, RW, PA | MAP_FIXED), -ENOMEM);
    s9test_note("SYS_MUNMAP errors");
    CHECK_EQ(sys_munmap((void *)(uintptr_t)(BASE + 1), PAGE), -EINVAL);
    CHECK_EQ(sys_munmap((void *)(uintptr_t)(BASE + 0x800), PAGE), -EINVAL);
    CHECK_EQ(sys_munmap((void *)(uintptr_t)BASE, 0), -EINVAL);
    CHECK_EQ(sys_munmap((void *)(uintptr_t)(BASE + 8), 0), -EINVAL);
}

static long a, b, c;

static void test_placement(void)
{
    s9test_note("placement from 0x60000000 upward; nothing was mapped by the failed calls");
    a = mm(0, 3 * PAGE, RW, PA);
    CHECK_EQ(a, BASE);
    b = mm(0, 100, RW, PA); /* one page */
    CHECK_EQ(b, BASE + 3 * PAGE);
    c = sys_mmap(NULL, PAGE, RW, PA, 7, 0); /* fd ignored for anonymous mappings */
    CHECK_EQ(c, BASE + 4 * PAGE);
    long s = mm(0, 2 * PAGE, RW, MAP_SHARED | MAP_ANONYMOUS);
    CHECK_EQ(s, BASE + 5 * PAGE);

    s9test_note("zero-filled; written and read back");
    CHECK_EQ(nonzero_bytes(a, 3 * PAGE), 0);
    CHECK_EQ(nonzero_bytes(b, PAGE), 0);
    CHECK_EQ(nonzero_bytes(s, 2 * PAGE), 0);
    for (uint64_t i = 0; i < 3 * PAGE; i++)
        P(a)[i] = (uint8_t)(i * 7 + 1);
    long bad = 0;
    for (uint64_t i = 0; i < 3 * PAGE; i++)
        bad += P(a)[i] != (uint8_t)(i * 7 + 1);
    CHECK_EQ(bad, 0);
    P(b)[4095] = 0xab; /* the rounded-up page is all there */
    CHECK_EQ(P(b)[4095], 0xab);
    *(volatile uint64_t *)(uintptr_t)(s + PAGE) = 0x1122334455667788UL;
    CHECK_EQ(*(volatile uint64_t *)(uintptr_t)(s + PAGE), 0x1122334455667788UL);

    s9test_note("a hint is taken when free, else the first free range above it");
    CHECK_EQ(mm(0x70000000, 2 * PAGE, RW, PA), 0x70000000);
    CHECK_EQ(mm(0x70000000, PAGE, RW, PA), 0x70002000);
    CHECK_EQ(mm(0x70001000, PAGE, RW, PA), 0x70003000);
    CHECK_EQ(mm(0x70010000, PAGE, PROT_READ, MAP_SHARED | MAP_ANONYMOUS), 0x70010000);
    CHECK_EQ(mm(0x7000f000, 2 * PAGE, RW, PA), 0x70011000); /* would overlap 0x70010000 */
    CHECK_EQ(mm(0x7000f000, PAGE, RW, PA), 0x7000f000);     /* fits below it */
    CHECK_EQ(mm(0x10000000, PAGE, RW, PA), 0x10000000);     /* a free hint below the mmap base */
    s9test_note("MAP_FIXED maps at the address given");
    CHECK_EQ(mm(0x71000000, 2 * PAGE, RW, PA | MAP_FIXED), 0x71000000);
    CHECK_EQ(nonzero_bytes(0x71000000, 2 * PAGE), 0);
    P(0x71000000)[PAGE + 5] = 5;
    CHECK_EQ(P(0x71000000)[PAGE + 5], 5);
}

static void test_protection(void)
{
    s9test_note("PROT_READ: reads give zeros, a write faults (SIGSEGV, status 11)");
    long ro = mm(0x72000000, PAGE, PROT_READ, PA);
    CHECK_EQ(ro, 0x72000000);
    CHECK_EQ(nonzero_bytes(ro, PAGE), 0);
    CHECK_EQ(child_status(ro, DO_READ), 99 << 8);
    CHECK_EQ(child_status(ro, DO_WRITE), 11);
    s9test_note("PROT_NONE: a read faults");
    long none = mm(0x72100000, PAGE, PROT_NONE, PA);
    CHECK_EQ(none, 0x72100000);
    CHECK_EQ(child_status(none, DO_READ), 11);
    CHECK_EQ(child_status(none, DO_WRITE), 11);
    s9test_note("the kernel honours the protection too: EFAULT");
    TimeSpec *ts_ro = (TimeSpec *)(uintptr_t)ro;
    CHECK_EQ(sys_clock_gettime(CLOCK_MONOTONIC, ts_ro), -EFAULT);
    CHECK_EQ(sys_clock_gettime(CLOCK_MONOTONIC, (TimeSpec *)(uintptr_t)none), -EFAULT);
    CHECK_EQ(sys_write(1, (const void *)(uintptr_t)none, 1), -EFAULT);
    long port = sys_ipc_create_port(0);
    CHECK_EQ(sys_ipc_send(port, (const IpcMessage *)(uintptr_t)ro), 0);  /* readable */
    CHECK_EQ(sys_ipc_send(port, (const IpcMessage *)(uintptr_t)none), -EFAULT);
    CHECK_EQ(sys_ipc_try_recv(port, (IpcMessage *)(uintptr_t)c), 0);     /* writable */
    CHECK_EQ(sys_handle_close(port), 0);
    TimeSpec *ts_rw = (TimeSpec *)(uintptr_t)(c + 128);
    CHECK_EQ(sys_clock_gettime(CLOCK_MONOTONIC, ts_rw), 0);

    s9test_note("PROT_EXEC: code in an executable mapping runs; without it, a fault");
    long x = mm(0x72200000, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC, PA);
    CHECK_EQ(x, 0x72200000);
    for (size_t i = 0; i < sizeof RET42; i++)
        P(x)[i] = RET42[i];
    int (*fn)(void) = (int (*)(void))(uintptr_t)x;
    CHECK_EQ(fn(), 42);
    CHECK_EQ(child_status(x, DO_CALL), 99 << 8);
    long nx = mm(0x72300000, PAGE, RW, PA);
    CHECK_EQ(nx, 0x72300000);
    for (size_t i = 0; i < sizeof RET42; i++)
        P(nx)[i] = RET42[i];
    CHECK_EQ(child_status(nx, DO_CALL), 11);
}

static void test_munmap(void)
{
    s9test_note("munmap the middle page of three: the others keep their data");
    CHECK_EQ(sys_munmap((void *)(uintptr_t)(a + PAGE), PAGE), 0);
    CHECK_EQ(P(a)[0], 1);
    CHECK_EQ(P(a)[2 * PAGE], (uint8_t)(2 * PAGE * 7 + 1));
    CHECK_EQ(P(a)[3 * PAGE - 1], (uint8_t)((3 * PAGE - 1) * 7 + 1));
    CHECK_EQ(child_status(a + PAGE, DO_READ), 11);
    CHECK_EQ(child_status(a, DO_READ), 99 << 8);
    CHECK_EQ(sys_clock_gettime(CLOCK_MONOTONIC, (TimeSpec *)(uintptr_t)(a + PAGE)), -EFAULT);
    s9test_note("a new mapping in the hole is zero-filled");
    CHECK_EQ(mm(a + PAGE, PAGE, RW, PA | MAP_FIXED), a + PAGE);
    CHECK_EQ(nonzero_bytes(a + PAGE, PAGE), 0);
    s9test_note("munmap with a length under a page unmaps the page");
    CHECK_EQ(sys_munmap((void *)(uintptr_t)b, 1), 0);
    CHECK_EQ(child_status(b, DO_READ), 11);
    CHECK_EQ(child_status(b + PAGE - 1, DO_WRITE), 11);
    s9test_note("a hint on the freed page gets it back");
    CHECK_EQ(mm(b, PAGE, RW, PA), b);
    CHECK_EQ(nonzero_bytes(b, PAGE), 0);
}

static void test_limit(void)
{
    s9test_note("the 1 GiB limit counts what is mapped");
    long big = mm(0x100000000UL, 1UL << 29, RW, PA);
    CHECK_EQ(big, 0x100000000L);
    CHECK_EQ(mm(0, 1UL << 29, RW, PA), -ENOMEM);
    P(big)[(1UL << 29) - 1] = 9;
    CHECK_EQ(P(big)[(1UL << 29) - 1], 9);
    CHECK_EQ(sys_munmap((void *)(uintptr_t)big, 1UL << 29), 0);
    long again = mm(0x100000000UL, 1UL << 29, RW, PA);
    CHECK_EQ(again, 0x100000000L);
    CHECK_EQ(P(again)[(1UL << 29) - 1], 0);
    CHECK_EQ(sys_munmap((void *)(uintptr_t)again, 1UL << 29), 0);
}

/* Flag bits upstream knows beyond the four basic ones (syscall/mmap.rs):
 * MAP_HUGETLB 0x800 maps 2 MiB pages (length and place 2 MiB-aligned),
 * MAP_FIXED_NOREPLACE 0x100000 maps at addr unless something is there
 * (EEXIST). Run last, since the mappings move the placement checks above. */
static void test_other_flags(void)
{
    s9test_note("MAP_HUGETLB: 2 MiB aligned; MAP_FIXED_NOREPLACE: EEXIST over a mapping");
    long huge = mm(0, PAGE, RW, PA | 0x800);
    CHECK_GT(huge, 0);
    CHECK_EQ(huge & ((2L << 20) - 1), 0);
    if (huge > 0) {
        volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)huge;
        p[(2 << 20) - 1] = 7; /* the whole 2 MiB page is there */
        CHECK_EQ(p[(2 << 20) - 1], 7);
        CHECK_EQ(sys_munmap((void *)(uintptr_t)huge, 2UL << 20), 0);
    }
    long fixed = mm(0x73000000, PAGE, RW, PA | MAP_FIXED | 0x100000);
    CHECK_EQ(fixed, 0x73000000);
    CHECK_EQ(mm(0x73000000, PAGE, RW, PA | MAP_FIXED | 0x100000), -EEXIST);
    if (fixed > 0)
        CHECK_EQ(sys_munmap((void *)(uintptr_t)fixed, PAGE), 0);
    long shared_huge = mm(0, PAGE, RW, MAP_SHARED | MAP_ANONYMOUS | 0x800);
    CHECK_GT(shared_huge, 0);
    CHECK_EQ(shared_huge & ((2L << 20) - 1), 0);
    if (shared_huge > 0)
        CHECK_EQ(sys_munmap((void *)(uintptr_t)shared_huge, 2UL << 20), 0);
}

/* MAP_SHARED mappings over the limit: their own run, since a host-side
 * failure here would end the whole emulated system. */
static int shared_limit(void)
{
    s9test_note("MAP_SHARED|MAP_ANONYMOUS beyond the 1 GiB process limit: ENOMEM");
    CHECK_EQ(mm(0, (1UL << 30) + PAGE, RW, MAP_SHARED | MAP_ANONYMOUS), -ENOMEM);
    CHECK_EQ(mm(0, 1UL << 31, RW, MAP_SHARED | MAP_ANONYMOUS), -ENOMEM);
    CHECK_EQ(mm(0, 1UL << 40, RW, MAP_SHARED | MAP_ANONYMOUS), -ENOMEM);
    CHECK_EQ(mm(0, 1UL << 46, RW, MAP_SHARED | MAP_ANONYMOUS), -ENOMEM);
    CHECK_EQ(mm(0x100000000UL, 1UL << 46, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED), -ENOMEM);
    s9test_note("and within it, fine");
    long p = mm(0, 1UL << 20, RW, MAP_SHARED | MAP_ANONYMOUS);
    CHECK_EQ(p, BASE);
    P(p)[(1UL << 20) - 1] = 3;
    CHECK_EQ(P(p)[(1UL << 20) - 1], 3);
    return s9test_done();
}

static int fault_mode(const char *mode)
{
    if (strcmp(mode, "sharedlimit") == 0)
        return shared_limit();
    if (strcmp(mode, "unmapped") == 0) {
        long p = mm(0, PAGE, RW, PA);
        P(p)[16] = 0x5a;
        s9_printf("# mapped %#lx, wrote and read back %#x\n", p, P(p)[16]);
        if (sys_munmap((void *)(uintptr_t)p, PAGE) != 0)
            return 101;
        s9_printf("# unmapped %#lx, reading it again\n", p);
        volatile uint8_t v = P(p)[16];
        s9_printf("# no fault: read %#x\n", v);
        return 100;
    }
    if (strcmp(mode, "rowrite") == 0) {
        long p = mm(0, PAGE, PROT_READ, PA);
        s9_printf("# PROT_READ mapping at %#lx reads %u; writing it\n", p, P(p)[8]);
        P(p)[8] = 1;
        s9_printf("# no fault\n");
        return 100;
    }
    if (strcmp(mode, "noexec") == 0) {
        long p = mm(0, PAGE, RW, PA);
        for (size_t i = 0; i < sizeof RET42; i++)
            P(p)[i] = RET42[i];
        s9_printf("# calling into the non-executable mapping at %#lx\n", p);
        int (*fn)(void) = (int (*)(void))(uintptr_t)p;
        int r = fn();
        s9_printf("# no fault: %d\n", r);
        return 100;
    }
    s9_printf("proc_mmap: unknown mode %s\n", mode);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        return fault_mode(argv[1]);
    test_errors();
    test_placement();
    test_protection();
    test_munmap();
    test_limit();
    test_other_flags();
    return s9test_done();
}
