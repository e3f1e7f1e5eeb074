/*
 * syscalls_basic: conformance test of the basic syscalls (ABI.md sections
 * 1 and 8) and all of their error paths, asserting exact return values.
 * Exit code = number of failed checks.
 *
 * Bad pointers are fixed addresses (never stack or data addresses), so the
 * syscall trace is the same whatever compiler built the guest.
 */
#include "strat9.h"
#include "s9test.h"

/* Never mapped: below the first page, and far above the image. */
#define BAD_LOW ((void *)0x10UL)
#define BAD_HIGH ((void *)0xdead0000UL)

/* The ELF header: mapped read-only by the loader, and at the same address
 * (0x400000) with both toolchains, unlike a .rodata object. Defined by both
 * GNU ld and lld. */
extern const unsigned char __ehdr_start[];
#define READ_ONLY ((void *)(uintptr_t)__ehdr_start)

static int64_t ts_ns(const TimeSpec *t) { return t->tv_sec * NSEC_PER_SEC + t->tv_nsec; }

static void test_identity(void)
{
    s9test_note("identity: SYS_NULL, SYS_ABI_VERSION");
    CHECK_EQ(sys_null(), 0x57A79);
    CHECK_EQ(sys_abi_version(), (STRAT9_ABI_MAJOR << 16) | STRAT9_ABI_MINOR);
    CHECK_EQ(sys_abi_version(), 1);
}

static void test_write(void)
{
    static const char out_line[] = "syscalls_basic: SYS_WRITE to fd 1\n";
    static const char err_line[] = "syscalls_basic: SYS_WRITE to fd 2\n";
    const long out_len = sizeof out_line - 1, err_len = sizeof err_line - 1;

    s9test_note("SYS_WRITE");
    CHECK_EQ(sys_write(1, out_line, out_len), out_len);
    CHECK_EQ(sys_write(2, err_line, err_len), err_len);
    /* length 0 succeeds before the pointer is looked at */
    CHECK_EQ(sys_write(1, out_line, 0), 0);
    CHECK_EQ(sys_write(1, BAD_LOW, 0), 0);
    CHECK_EQ(sys_write(2, BAD_HIGH, 0), 0);
    /* only fds 1 and 2 exist */
    CHECK_EQ(sys_write(0, out_line, out_len), -EBADF);
    CHECK_EQ(sys_write(3, out_line, out_len), -EBADF);
    CHECK_EQ(sys_write(-1, out_line, out_len), -EBADF);
    CHECK_EQ(sys_write(1000, out_line, out_len), -EBADF);
    /* unreadable buffers */
    CHECK_EQ(sys_write(1, BAD_LOW, 4), -EFAULT);
    CHECK_EQ(sys_write(1, BAD_HIGH, 4), -EFAULT);
    CHECK_EQ(sys_write(2, BAD_HIGH, 16), -EFAULT);
}

static void test_debug_log(void)
{
    static const char line[] = "syscalls_basic debug line";
    static char big[5000];

    s9test_note("SYS_DEBUG_LOG");
    CHECK_EQ(sys_debug_log(line, 0), 0);
    CHECK_EQ(sys_debug_log(BAD_HIGH, 0), 0);
    CHECK_EQ(sys_debug_log(line, sizeof line - 1), (long)sizeof line - 1);
    /* a deterministic printable pattern; the kernel logs only 4096 bytes */
    for (int i = 0; i < (int)sizeof big; i++)
        big[i] = (char)('a' + i % 26);
    CHECK_EQ(sys_debug_log(big, sizeof big), 4096);
    CHECK_EQ(sys_debug_log(big, 4096), 4096);
    CHECK_EQ(sys_debug_log(BAD_LOW, 8), -EFAULT);
    CHECK_EQ(sys_debug_log(BAD_HIGH, 8), -EFAULT);
}

static void test_pids(void)
{
    s9test_note("process identity");
    long pid = sys_getpid();
    CHECK_GT(pid, 0);
    CHECK_EQ(sys_proc_getpid(), pid);
    /* single-threaded: the only thread's tid is the pid */
    CHECK_EQ(sys_gettid(), pid);
    /* started by the testbed, not forked */
    CHECK_EQ(sys_proc_getppid(), 0);
}

static void test_clock(void)
{
    TimeSpec a = {-1, -1}, b = {-1, -1};

    s9test_note("SYS_CLOCK_GETTIME");
    CHECK_EQ(sys_clock_gettime(CLOCK_REALTIME, &a), 0);
    CHECK_GE(a.tv_sec, 0);
    CHECK(a.tv_nsec >= 0 && a.tv_nsec < NSEC_PER_SEC);
    CHECK_EQ(sys_clock_gettime(CLOCK_MONOTONIC, &b), 0);
    CHECK_GE(b.tv_sec, 0);
    CHECK(b.tv_nsec >= 0 && b.tv_nsec < NSEC_PER_SEC);

    CHECK_EQ(sys_clock_gettime(2, &a), -EINVAL);
    CHECK_EQ(sys_clock_gettime(3, &a), -EINVAL);
    CHECK_EQ(sys_clock_gettime(-1, &a), -EINVAL);
    CHECK_EQ(sys_clock_gettime(CLOCK_MONOTONIC, NULL), -EFAULT);
    CHECK_EQ(sys_clock_gettime(CLOCK_REALTIME, NULL), -EFAULT);
    /* tp is checked before the clock id */
    CHECK_EQ(sys_clock_gettime(2, NULL), -EFAULT);
    CHECK_EQ(sys_clock_gettime(CLOCK_MONOTONIC, BAD_LOW), -EFAULT);
    CHECK_EQ(sys_clock_gettime(CLOCK_MONOTONIC, BAD_HIGH), -EFAULT);
    /* mapped but not writable */
    CHECK_EQ(sys_clock_gettime(CLOCK_MONOTONIC, READ_ONLY), -EFAULT);
    CHECK_EQ(__ehdr_start[0], 0x7f); /* ... and left intact */
    CHECK_EQ(__ehdr_start[1], 'E');

    /* Each syscall advances virtual time by 1000 ns: two back-to-back
     * reads differ by at least that. Values are compared only after the
     * calls so that no print (itself a syscall) sits in between. */
    TimeSpec t[2];
    long r0 = sys_clock_gettime(CLOCK_MONOTONIC, &t[0]);
    long r1 = sys_clock_gettime(CLOCK_MONOTONIC, &t[1]);
    CHECK_EQ(r0, 0);
    CHECK_EQ(r1, 0);
    CHECK_GT(ts_ns(&t[1]), ts_ns(&t[0]));
    CHECK_GE(ts_ns(&t[1]) - ts_ns(&t[0]), 1000);

    /* never goes backwards over many calls, for either clock */
    int backwards = 0, errors = 0;
    int64_t prev = 0;
    for (int i = 0; i < 50; i++) {
        TimeSpec now = {0, 0};
        if (sys_clock_gettime(i & 1, &now) != 0)
            errors++;
        if (ts_ns(&now) < prev)
            backwards++;
        prev = ts_ns(&now);
    }
    CHECK_EQ(errors, 0);
    CHECK_EQ(backwards, 0);
}

static void test_nanosleep(void)
{
    static const TimeSpec ro_zero = {0, 0}; /* a request may be read-only */

    s9test_note("SYS_NANOSLEEP");
    CHECK_EQ(sys_nanosleep(NULL, NULL), -EFAULT);
    CHECK_EQ(sys_nanosleep(BAD_LOW, NULL), -EFAULT);
    CHECK_EQ(sys_nanosleep(BAD_HIGH, NULL), -EFAULT);

    TimeSpec req = {0, NSEC_PER_SEC};
    CHECK_EQ(sys_nanosleep(&req, NULL), -EINVAL);
    req = (TimeSpec){0, -1};
    CHECK_EQ(sys_nanosleep(&req, NULL), -EINVAL);
    req = (TimeSpec){-1, 0};
    CHECK_EQ(sys_nanosleep(&req, NULL), -EINVAL);
    req = (TimeSpec){-1, NSEC_PER_SEC};
    CHECK_EQ(sys_nanosleep(&req, NULL), -EINVAL);

    /* zero: a yield */
    req = (TimeSpec){0, 0};
    CHECK_EQ(sys_nanosleep(&req, NULL), 0);
    CHECK_EQ(sys_nanosleep(&ro_zero, NULL), 0);

    /* 5 ms moves the monotonic clock by at least 5 ms */
    TimeSpec before, after;
    req = (TimeSpec){0, 5000000};
    long r0 = sys_clock_gettime(CLOCK_MONOTONIC, &before);
    long r1 = sys_nanosleep(&req, NULL);
    long r2 = sys_clock_gettime(CLOCK_MONOTONIC, &after);
    CHECK_EQ(r0, 0);
    CHECK_EQ(r1, 0);
    CHECK_EQ(r2, 0);
    CHECK_GE(ts_ns(&after) - ts_ns(&before), 5000000);
}

static void test_yield(void)
{
    s9test_note("SYS_PROC_YIELD");
    CHECK_EQ(sys_proc_yield(), 0);
    CHECK_EQ(sys_proc_yield(), 0);
}

/* All six argument registers are set (to 0), so a trace that shows the raw
 * registers of an unknown call is the same for every compiler. */
#define UNKNOWN(nr) strat9_syscall6(nr, 0, 0, 0, 0, 0, 0)

static void test_unknown(void)
{
    s9test_note("unknown syscall numbers");
    CHECK_EQ(UNKNOWN(7), -ENOSYS);
    CHECK_EQ(UNKNOWN(99), -ENOSYS);
    CHECK_EQ(UNKNOWN(150), -ENOSYS);
    CHECK_EQ(UNKNOWN(1023), -ENOSYS);
    CHECK_EQ(UNKNOWN(1024), -ENOSYS);
    CHECK_EQ(UNKNOWN(5000), -ENOSYS);
    CHECK_EQ(UNKNOWN(0xffffffffL), -ENOSYS);
    CHECK_EQ(UNKNOWN(-1L), -ENOSYS);
    /* arguments do not matter */
    CHECK_EQ(strat9_syscall6(99, 1, 2, 3, 4, 5, 6), -ENOSYS);
    /* and the guest keeps running: */
    CHECK_EQ(sys_null(), 0x57A79);
}

/*
 * Loads known values into every general register the kernel must preserve
 * (all but rax, rcx, r11; rbp and rsp are left alone because the compiler
 * may use them as frame and stack pointer), makes SYS_NULL, and returns a
 * bit mask of the registers that changed. *ret gets the syscall result.
 */
static long syscall_clobbers(long *ret)
{
    long mask, rax;
    __asm__ volatile(
        "movabs $0x1111111111111101, %%rbx\n\t"
        "movabs $0x2222222222222202, %%rdx\n\t"
        "movabs $0x3333333333333303, %%rsi\n\t"
        "movabs $0x4444444444444404, %%rdi\n\t"
        "movabs $0x5555555555555508, %%r8\n\t"
        "movabs $0x6666666666666609, %%r9\n\t"
        "movabs $0x7777777777777710, %%r10\n\t"
        "movabs $0x8888888888888812, %%r12\n\t"
        "movabs $0x9999999999999913, %%r13\n\t"
        "movabs $0xaaaaaaaaaaaaaa14, %%r14\n\t"
        "movabs $0xbbbbbbbbbbbbbb15, %%r15\n\t"
        "xorl %%eax, %%eax\n\t" /* SYS_NULL */
        "syscall\n\t"
        "movq %%rax, %%rcx\n\t" /* rcx, r11: free after the syscall */
        "xorl %%eax, %%eax\n\t"
        "movabs $0x1111111111111101, %%r11\n\t"
        "cmpq %%r11, %%rbx\n\t"
        "je 1f\n\t"
        "orl $0x001, %%eax\n"
        "1:\n\t"
        "movabs $0x2222222222222202, %%r11\n\t"
        "cmpq %%r11, %%rdx\n\t"
        "je 1f\n\t"
        "orl $0x002, %%eax\n"
        "1:\n\t"
        "movabs $0x3333333333333303, %%r11\n\t"
        "cmpq %%r11, %%rsi\n\t"
        "je 1f\n\t"
        "orl $0x004, %%eax\n"
        "1:\n\t"
        "movabs $0x4444444444444404, %%r11\n\t"
        "cmpq %%r11, %%rdi\n\t"
        "je 1f\n\t"
        "orl $0x008, %%eax\n"
        "1:\n\t"
        "movabs $0x5555555555555508, %%r11\n\t"
        "cmpq %%r11, %%r8\n\t"
        "je 1f\n\t"
        "orl $0x010, %%eax\n"
        "1:\n\t"
        "movabs $0x6666666666666609, %%r11\n\t"
        "cmpq %%r11, %%r9\n\t"
        "je 1f\n\t"
        "orl $0x020, %%eax\n"
        "1:\n\t"
        "movabs $0x7777777777777710, %%r11\n\t"
        "cmpq %%r11, %%r10\n\t"
        "je 1f\n\t"
        "orl $0x040, %%eax\n"
        "1:\n\t"
        "movabs $0x8888888888888812, %%r11\n\t"
        "cmpq %%r11, %%r12\n\t"
        "je 1f\n\t"
        "orl $0x080, %%eax\n"
        "1:\n\t"
        "movabs $0x9999999999999913, %%r11\n\t"
        "cmpq %%r11, %%r13\n\t"
        "je 1f\n\t"
        "orl $0x100, %%eax\n"
        "1:\n\t"
        "movabs $0xaaaaaaaaaaaaaa14, %%r11\n\t"
        "cmpq %%r11, %%r14\n\t"
        "je 1f\n\t"
        "orl $0x200, %%eax\n"
        "1:\n\t"
        "movabs $0xbbbbbbbbbbbbbb15, %%r11\n\t"
        "cmpq %%r11, %%r15\n\t"
        "je 1f\n\t"
        "orl $0x400, %%eax\n"
        "1:"
        : "=a"(mask), "=c"(rax)
        :
        : "rbx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "memory", "cc");
    *ret = rax;
    return mask;
}

static void test_registers(void)
{
    s9test_note("registers preserved across syscall (bits: rbx rdx rsi rdi r8 r9 r10 r12 r13 r14 r15)");
    long ret = 0;
    long changed = syscall_clobbers(&ret);
    CHECK_EQ(ret, 0x57A79);
    CHECK_EQ(changed, 0);
}

/* As on hardware, syscall leaves rcx = the return rip and r11 = rflags. */
static void test_rcx_r11(void)
{
    unsigned long rcx, r11, expect_rip, flags;
    __asm__ volatile(
        "pushfq\n\t"
        "popq %[flags]\n\t"
        "leaq 1f(%%rip), %[rip]\n\t"
        "xorl %%eax, %%eax\n\t" /* SYS_NULL */
        "syscall\n"
        "1:\n\t"
        "movq %%rcx, %[rcx]\n\t"
        "movq %%r11, %[r11]"
        : [rcx] "=r"(rcx), [r11] "=r"(r11), [rip] "=&r"(expect_rip), [flags] "=&r"(flags)
        :
        : "rax", "rcx", "r11", "memory", "cc");
    s9test_note("rcx holds the return rip and r11 the rflags after syscall");
    CHECK_EQ(rcx, expect_rip);
    /* xor changed the arithmetic flags between pushfq and syscall: compare the rest */
    CHECK_EQ(r11 & ~0x8d5UL, flags & ~0x8d5UL);
}

int main(void)
{
    test_identity();
    test_write();
    test_debug_log();
    test_pids();
    test_clock();
    test_nanosleep();
    test_yield();
    test_unknown();
    test_registers();
    test_rcx_r11();
    return s9test_done();
}
