/*
 * bench/linux/strat9.h: a stand-in for guest_programs/include/strat9.h, so
 * that the benchmark guests that need no Strat9 IPC (bench_crc32, bench_fib,
 * syscall_loop, hello) build unchanged for the Linux syscall ABI, to run
 * natively and under qemu-x86_64. Only the few calls those guests use:
 *
 *   sys_null()        -> getppid (110): a real, cheap kernel entry; the
 *                        result is mapped to SYS_NULL_MAGIC on success
 *   sys_getpid()      -> getpid (39)
 *   sys_write()       -> write (1)
 *   sys_proc_exit()   -> exit (60)
 *   s9_printf, s9_atol, memset, memcpy, strlen: shim.c
 *
 * Same raw-syscall convention as the Strat9 runtime (number in rax, args in
 * rdi, rsi, rdx; the CPU clobbers rcx and r11).
 */
#ifndef BENCH_LINUX_STRAT9_H
#define BENCH_LINUX_STRAT9_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define LINUX_SYS_WRITE 1
#define LINUX_SYS_GETPID 39
#define LINUX_SYS_EXIT 60
#define LINUX_SYS_GETPPID 110

#define SYS_NULL_MAGIC 0x57A79L

static inline long linux_syscall0(long nr)
{
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr) : "rcx", "r11", "memory");
    return ret;
}

static inline long linux_syscall1(long nr, long a1)
{
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a1) : "rcx", "r11", "memory");
    return ret;
}

static inline long linux_syscall3(long nr, long a1, long a2, long a3)
{
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a1), "S"(a2), "d"(a3) : "rcx", "r11", "memory");
    return ret;
}

static inline long sys_null(void)
{
    long r = linux_syscall0(LINUX_SYS_GETPPID);
    return r >= 0 ? SYS_NULL_MAGIC : r;
}

static inline long sys_getpid(void) { return linux_syscall0(LINUX_SYS_GETPID); }

static inline long sys_write(long fd, const void *buf, size_t len)
{
    return linux_syscall3(LINUX_SYS_WRITE, fd, (long)(uintptr_t)buf, (long)len);
}

__attribute__((noreturn)) static inline void sys_proc_exit(long code)
{
    for (;;)
        linux_syscall1(LINUX_SYS_EXIT, code);
}

void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
size_t strlen(const char *s);
long s9_atol(const char *s);
/* printf subset: flags '-' '0', a width, length l/z, conversions
 * d i u x c s %. One write per call. */
long s9_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
