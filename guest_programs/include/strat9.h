/*
 * strat9.h: the freestanding C runtime of Strat9-OS guest programs.
 *
 * Raw syscall wrappers, one typed wrapper per syscall of the guest ABI
 * (shared/spec/ABI.md), the ABI structs and constants, and the small runtime
 * library (runtime/libc.c, runtime/crt0.S). Syscall numbers and errno values
 * come from the generated strat9_sys.h, so they cannot drift from the
 * kernel model's table.
 *
 * Every sys_* wrapper returns the raw result: >= 0 is success, a negative
 * value is -errno.
 */
#ifndef STRAT9_H
#define STRAT9_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "strat9_sys.h"

/* ------------------------------------------------------------------------ */
/* Raw syscalls: rax = nr; args in rdi, rsi, rdx, r10, r8, r9; the CPU      */
/* clobbers rcx (return rip) and r11 (rflags).                              */
/* ------------------------------------------------------------------------ */

static inline long strat9_syscall0(long nr)
{
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr) : "rcx", "r11", "memory");
    return ret;
}

static inline long strat9_syscall1(long nr, long a1)
{
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a1) : "rcx", "r11", "memory");
    return ret;
}

static inline long strat9_syscall2(long nr, long a1, long a2)
{
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a1), "S"(a2) : "rcx", "r11", "memory");
    return ret;
}

static inline long strat9_syscall3(long nr, long a1, long a2, long a3)
{
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a1), "S"(a2), "d"(a3)
                     : "rcx", "r11", "memory");
    return ret;
}

static inline long strat9_syscall4(long nr, long a1, long a2, long a3, long a4)
{
    long ret;
    register long r10 __asm__("r10") = a4;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10)
                     : "rcx", "r11", "memory");
    return ret;
}

static inline long strat9_syscall5(long nr, long a1, long a2, long a3, long a4, long a5)
{
    long ret;
    register long r10 __asm__("r10") = a4;
    register long r8 __asm__("r8") = a5;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8)
                     : "rcx", "r11", "memory");
    return ret;
}

static inline long strat9_syscall6(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
    long ret;
    register long r10 __asm__("r10") = a4;
    register long r8 __asm__("r8") = a5;
    register long r9 __asm__("r9") = a6;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

/* A raw result is an error when it lies in -4095..-1 (as on Linux). */
#define S9_IS_ERR(r) ((unsigned long)(long)(r) > (unsigned long)-4096L)

/* Pointer to syscall argument. */
#define S9_P(p) ((long)(uintptr_t)(p))

/* ------------------------------------------------------------------------ */
/* ABI structs (ABI.md section 2); the kernel reads them unaligned, but we  */
/* keep natural alignment so the compiler's accesses are cheap.             */
/* ------------------------------------------------------------------------ */

#define IPC_PAYLOAD_SIZE 48

typedef struct IpcMessage {
    uint64_t sender;   /* stamped by the kernel with the sending tid */
    uint32_t msg_type;
    uint32_t flags;    /* 0, or a handle to transfer */
    uint8_t payload[IPC_PAYLOAD_SIZE];
} IpcMessage;

typedef struct HandleInfo {
    uint32_t resource_type;
    uint32_t permissions;
    uint64_t resource;
} HandleInfo;

typedef struct TimeSpec {
    int64_t tv_sec;
    int64_t tv_nsec;
} TimeSpec;

_Static_assert(sizeof(IpcMessage) == 64, "IpcMessage is 64 bytes");
_Static_assert(offsetof(IpcMessage, sender) == 0, "IpcMessage.sender at 0");
_Static_assert(offsetof(IpcMessage, msg_type) == 8, "IpcMessage.msg_type at 8");
_Static_assert(offsetof(IpcMessage, flags) == 12, "IpcMessage.flags at 12");
_Static_assert(offsetof(IpcMessage, payload) == 16, "IpcMessage.payload at 16");
_Static_assert(sizeof(HandleInfo) == 16, "HandleInfo is 16 bytes");
_Static_assert(offsetof(HandleInfo, resource_type) == 0, "HandleInfo.resource_type at 0");
_Static_assert(offsetof(HandleInfo, permissions) == 4, "HandleInfo.permissions at 4");
_Static_assert(offsetof(HandleInfo, resource) == 8, "HandleInfo.resource at 8");
_Static_assert(sizeof(TimeSpec) == 16, "TimeSpec is 16 bytes");
_Static_assert(offsetof(TimeSpec, tv_sec) == 0, "TimeSpec.tv_sec at 0");
_Static_assert(offsetof(TimeSpec, tv_nsec) == 8, "TimeSpec.tv_nsec at 8");

/* ------------------------------------------------------------------------ */
/* Constants                                                                */
/* ------------------------------------------------------------------------ */

/* SYS_NULL's fixed answer and SYS_ABI_VERSION = (major << 16) | minor. */
#define SYS_NULL_MAGIC 0x57A79L
#define STRAT9_ABI_MAJOR 0
#define STRAT9_ABI_MINOR 1

/* Permission bits reported by SYS_HANDLE_INFO. */
#define PERM_READ 1u
#define PERM_WRITE 2u
#define PERM_EXECUTE 4u
#define PERM_GRANT 8u
#define PERM_REVOKE 16u

/* HandleInfo.resource_type codes. */
#define RES_MEMORY_REGION 1u
#define RES_IO_PORT_RANGE 2u
#define RES_INTERRUPT_LINE 3u
#define RES_IPC_PORT 4u
#define RES_CHANNEL 5u
#define RES_SHARED_RING 6u
#define RES_SEMAPHORE 7u
#define RES_DEVICE 8u
#define RES_ADDRESS_SPACE 9u
#define RES_SILO 10u
#define RES_MODULE 11u
#define RES_FILE 12u
#define RES_NIC 13u
#define RES_FILE_SYSTEM 14u
#define RES_CONSOLE 15u
#define RES_KEYBOARD 16u
#define RES_VOLUME 17u
#define RES_NAMESPACE 18u

/* SYS_HANDLE_WAIT readiness bits and its "wait forever" timeout. */
#define WAIT_READABLE 1L
#define WAIT_WRITABLE 2L
#define WAIT_FOREVER UINT64_MAX

/* Message types with a kernel-defined meaning. */
#define IPC_MSG_BOOTSTRAP 0x10u   /* queued on bind of /srv/strate-fs-* */
#define IPC_MSG_ERROR_REPLY 0x80u /* payload[0..4] = positive errno (u32) */

/* SYS_IPC_RING_CREATE / MAP, SYS_MMAP placement. */
#define S9_PAGE_SIZE 4096UL
#define S9_MAP_BASE 0x60000000UL

/* SYS_MMAP */
#define PROT_NONE 0
#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_ANON MAP_ANONYMOUS

/* SYS_PROC_WAITPID options and the Linux-style status word. */
#define WNOHANG 1
#define WEXITSTATUS(s) (((s) >> 8) & 0xff)
#define WTERMSIG(s) ((s) & 0x7f)
#define WIFEXITED(s) (WTERMSIG(s) == 0)
#define WIFSIGNALED(s) (WTERMSIG(s) != 0)

/* SYS_CLOCK_GETTIME clocks. */
#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define NSEC_PER_SEC 1000000000L

/* SYS_ARCH_PRCTL codes (Linux values). */
#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

/* Auxiliary vector types (System V ABI / Linux values) found after envp. */
#define AT_NULL 0
#define AT_IGNORE 1
#define AT_PHDR 3
#define AT_PHENT 4
#define AT_PHNUM 5
#define AT_PAGESZ 6
#define AT_BASE 7
#define AT_FLAGS 8
#define AT_ENTRY 9
#define AT_UID 11
#define AT_EUID 12
#define AT_GID 13
#define AT_EGID 14
#define AT_HWCAP 16
#define AT_CLKTCK 17
#define AT_SECURE 23
#define AT_RANDOM 25
#define AT_EXECFN 31

/* ------------------------------------------------------------------------ */
/* Typed wrappers, one per syscall, in ABI.md order.                        */
/* ------------------------------------------------------------------------ */

/* Capabilities (0-6) */
static inline long sys_null(void) { return strat9_syscall0(SYS_NULL); }
static inline long sys_handle_duplicate(uint64_t h) { return strat9_syscall1(SYS_HANDLE_DUPLICATE, (long)h); }
static inline long sys_handle_close(uint64_t h) { return strat9_syscall1(SYS_HANDLE_CLOSE, (long)h); }
static inline long sys_handle_wait(uint64_t h, uint64_t timeout_ns)
{
    return strat9_syscall2(SYS_HANDLE_WAIT, (long)h, (long)timeout_ns);
}
static inline long sys_handle_grant(uint64_t h, uint64_t pid)
{
    return strat9_syscall2(SYS_HANDLE_GRANT, (long)h, (long)pid);
}
static inline long sys_handle_revoke(uint64_t h) { return strat9_syscall1(SYS_HANDLE_REVOKE, (long)h); }
static inline long sys_handle_info(uint64_t h, HandleInfo *out)
{
    return strat9_syscall2(SYS_HANDLE_INFO, (long)h, S9_P(out));
}

/* Memory (100-101) */
static inline long sys_mmap(void *addr, size_t len, long prot, long flags, long fd, long off)
{
    return strat9_syscall6(SYS_MMAP, S9_P(addr), (long)len, prot, flags, fd, off);
}
static inline long sys_munmap(void *addr, size_t len) { return strat9_syscall2(SYS_MUNMAP, S9_P(addr), (long)len); }

/* Ports and the namespace (200-208) */
static inline long sys_ipc_create_port(uint64_t flags) { return strat9_syscall1(SYS_IPC_CREATE_PORT, (long)flags); }
static inline long sys_ipc_send(uint64_t h, const IpcMessage *msg)
{
    return strat9_syscall2(SYS_IPC_SEND, (long)h, S9_P(msg));
}
static inline long sys_ipc_recv(uint64_t h, IpcMessage *out) { return strat9_syscall2(SYS_IPC_RECV, (long)h, S9_P(out)); }
/* The reply is written over *msg. */
static inline long sys_ipc_call(uint64_t h, IpcMessage *msg) { return strat9_syscall2(SYS_IPC_CALL, (long)h, S9_P(msg)); }
static inline long sys_ipc_reply(const IpcMessage *msg) { return strat9_syscall1(SYS_IPC_REPLY, S9_P(msg)); }
static inline long sys_ipc_bind_port(uint64_t h, const char *path, size_t len)
{
    return strat9_syscall3(SYS_IPC_BIND_PORT, (long)h, S9_P(path), (long)len);
}
static inline long sys_ipc_unbind_port(const char *path, size_t len)
{
    return strat9_syscall2(SYS_IPC_UNBIND_PORT, S9_P(path), (long)len);
}
static inline long sys_ipc_try_recv(uint64_t h, IpcMessage *out)
{
    return strat9_syscall2(SYS_IPC_TRY_RECV, (long)h, S9_P(out));
}
static inline long sys_ipc_connect(const char *path, size_t len)
{
    return strat9_syscall2(SYS_IPC_CONNECT, S9_P(path), (long)len);
}

/* Shared rings (210-211) */
static inline long sys_ipc_ring_create(uint64_t size) { return strat9_syscall1(SYS_IPC_RING_CREATE, (long)size); }
/* Writes the mapped base to *out; returns the mapped size. */
static inline long sys_ipc_ring_map(uint64_t h, uint64_t *out)
{
    return strat9_syscall2(SYS_IPC_RING_MAP, (long)h, S9_P(out));
}

/* Channels (220-224) */
static inline long sys_chan_create(uint64_t capacity) { return strat9_syscall1(SYS_CHAN_CREATE, (long)capacity); }
static inline long sys_chan_send(uint64_t h, const IpcMessage *msg)
{
    return strat9_syscall2(SYS_CHAN_SEND, (long)h, S9_P(msg));
}
static inline long sys_chan_recv(uint64_t h, IpcMessage *out) { return strat9_syscall2(SYS_CHAN_RECV, (long)h, S9_P(out)); }
static inline long sys_chan_try_recv(uint64_t h, IpcMessage *out)
{
    return strat9_syscall2(SYS_CHAN_TRY_RECV, (long)h, S9_P(out));
}
static inline long sys_chan_close(uint64_t h) { return strat9_syscall1(SYS_CHAN_CLOSE, (long)h); }

/* Semaphores (230-234) */
static inline long sys_sem_create(uint64_t initial) { return strat9_syscall1(SYS_SEM_CREATE, (long)initial); }
static inline long sys_sem_wait(uint64_t h) { return strat9_syscall1(SYS_SEM_WAIT, (long)h); }
static inline long sys_sem_trywait(uint64_t h) { return strat9_syscall1(SYS_SEM_TRYWAIT, (long)h); }
static inline long sys_sem_post(uint64_t h) { return strat9_syscall1(SYS_SEM_POST, (long)h); }
static inline long sys_sem_close(uint64_t h) { return strat9_syscall1(SYS_SEM_CLOSE, (long)h); }

/* Processes and threads (300-350) */
static inline long sys_proc_exit(long code) { return strat9_syscall1(SYS_PROC_EXIT, code); }
static inline long sys_proc_yield(void) { return strat9_syscall0(SYS_PROC_YIELD); }
static inline long sys_proc_fork(void) { return strat9_syscall0(SYS_PROC_FORK); }
static inline long sys_proc_getpid(void) { return strat9_syscall0(SYS_PROC_GETPID); }
static inline long sys_proc_getppid(void) { return strat9_syscall0(SYS_PROC_GETPPID); }
static inline long sys_proc_waitpid(long pid, int *status, long options)
{
    return strat9_syscall3(SYS_PROC_WAITPID, pid, S9_P(status), options);
}
static inline long sys_getpid(void) { return strat9_syscall0(SYS_GETPID); }
static inline long sys_gettid(void) { return strat9_syscall0(SYS_GETTID); }
static inline long sys_exit_group(long code) { return strat9_syscall1(SYS_EXIT_GROUP, code); }
/* The new thread starts at entry with rdi = arg0 and rsp = stack_top (which
 * must be 16-aligned); see s9_thread_spawn for a C-friendly entry. */
static inline long sys_thread_create(uint64_t entry, uint64_t stack_top, uint64_t arg0, uint64_t flags, uint64_t tls)
{
    return strat9_syscall5(SYS_THREAD_CREATE, (long)entry, (long)stack_top, (long)arg0, (long)flags, (long)tls);
}
static inline long sys_thread_join(long tid, int *status, long flags)
{
    return strat9_syscall3(SYS_THREAD_JOIN, tid, S9_P(status), flags);
}
static inline long sys_thread_exit(long code) { return strat9_syscall1(SYS_THREAD_EXIT, code); }
static inline long sys_arch_prctl(long code, uint64_t addr) { return strat9_syscall2(SYS_ARCH_PRCTL, code, (long)addr); }

/* Console (404) */
static inline long sys_write(long fd, const void *buf, size_t len)
{
    return strat9_syscall3(SYS_WRITE, fd, S9_P(buf), (long)len);
}

/* Time (500-501) */
static inline long sys_clock_gettime(long clock, TimeSpec *tp)
{
    return strat9_syscall2(SYS_CLOCK_GETTIME, clock, S9_P(tp));
}
static inline long sys_nanosleep(const TimeSpec *req, TimeSpec *rem)
{
    return strat9_syscall2(SYS_NANOSLEEP, S9_P(req), S9_P(rem));
}

/* Debug log (600) and ABI version (900) */
static inline long sys_debug_log(const void *buf, size_t len)
{
    return strat9_syscall2(SYS_DEBUG_LOG, S9_P(buf), (long)len);
}
static inline long sys_abi_version(void) { return strat9_syscall0(SYS_ABI_VERSION); }

/* ------------------------------------------------------------------------ */
/* Runtime library (runtime/libc.c, runtime/crt0.S)                         */
/* ------------------------------------------------------------------------ */

/* Called by the compiler even in freestanding code, so keep the C names. */
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

/* "EBADF" for 9 or -9; "OK" for 0; "E?" for values that name no errno. */
const char *errno_name(long err);

/* printf subset: %d %i %u %x %X %p %s %c %%, length h hh l ll z j t,
 * flags '-' '0' '+' ' ' '#', width and precision (also '*'); no floating
 * point. s9_printf and s9_eprintf format into a stack buffer and issue one
 * SYS_WRITE per call (more only past S9_PRINTF_BUF bytes), which keeps
 * traces short. They return the byte count or -errno. */
#define S9_PRINTF_BUF 1024
long s9_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
long s9_eprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
long s9_dprintf(long fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
long s9_vdprintf(long fd, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Like snprintf: always NUL-terminates when size > 0; returns the full length. */
long s9_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
long s9_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));
/* s followed by a newline, in one SYS_WRITE to fd 1. */
long s9_puts(const char *s);

/* Decimal with an optional sign; stops at the first non-digit. */
long s9_atol(const char *s);

/* SYS_PROC_EXIT; never returns. */
__attribute__((noreturn)) void s9_exit(long code);

/* Sleep in virtual time; returns the raw SYS_NANOSLEEP result. */
long s9_sleep_ns(int64_t ns);
/* CLOCK_MONOTONIC in ns, or -errno. */
int64_t s9_now_ns(void);

/* Start a thread running fn(arg) on [stack, stack + stack_size); fn's
 * return value becomes the thread's exit code (SYS_THREAD_EXIT). It must be
 * 0..INT32_MAX: the kernel refuses other codes with EINVAL, and the thread
 * then dies on the trampoline's ud2 (SIGILL for the process). Returns
 * the tid or -errno. Uses crt0's s9_thread_entry trampoline, which keeps
 * the SysV stack alignment that a bare C function entry would not get. */
long s9_thread_spawn(int (*fn)(void *), void *arg, void *stack, size_t stack_size, uint64_t tls);

/* Entry point symbols of crt0.S. */
void _start(void);
void s9_thread_entry(void);

#endif /* STRAT9_H */
