/*
 * proc_unpriv: an unprivileged process (ABI.md section 3), its threads and
 * its forked child. Every one of them gets EPERM for bind and unbind (the
 * port is its own), EPERM for the console (SYS_DEBUG_LOG, SYS_WRITE) and
 * EBADF for an unknown handle, before any other check; the calls of
 * section 8 (threads, fork, waitpid, mmap) work as for an admin task.
 *
 * It has no console: every result goes to proc_unpriv_log (pid 1, admin)
 * over IPC, so each line names the task that checked it.
 *   strat9-emu run --unprivileged 2 proc_unpriv_log.elf proc_unpriv.elf
 * Exit code = number of failed checks of the process, its thread and its
 * child.
 */
#include "strat9.h"

#define UNKNOWN_H 0x7ffffff0UL
static const char LOG_PATH[] = "/proc/unpriv-log";
static const char CONSOLE_LINE[] = "unprivileged console line\n"; /* must not appear */
enum { RESULT = 1, DONE = 2 };

static long log_h = -1;
static int failed;

static void report(int ok, int line, long got, long want, const char *text)
{
    IpcMessage m;
    memset(&m, 0, sizeof m);
    m.msg_type = RESULT;
    uint16_t okv = (uint16_t)ok, linev = (uint16_t)line;
    memcpy(m.payload, &okv, 2);
    memcpy(m.payload + 2, &linev, 2);
    memcpy(m.payload + 4, &got, 8);
    memcpy(m.payload + 12, &want, 8);
    if (strncmp(text, "sys_", 4) == 0)
        text += 4;
    size_t n = strlen(text);
    memcpy(m.payload + 20, text, n > 28 ? 28 : n);
    if (!ok)
        failed++;
    if (sys_ipc_send(log_h, &m) != 0)
        failed++;
}

#define CHECK_EQ(expr, expected)                                                                   \
    do {                                                                                           \
        long got_ = (long)(expr), want_ = (long)(expected);                                        \
        report(got_ == want_, __LINE__, got_, want_, #expr);                                       \
    } while (0)
#define CHECK_GT(expr, bound)                                                                      \
    do {                                                                                           \
        long got_ = (long)(expr), b_ = (long)(bound);                                              \
        report(got_ > b_, __LINE__, got_, b_, #expr " > " #bound);                                 \
    } while (0)

/* The checks every task of this process makes. */
static void common_checks(long own_port)
{
    HandleInfo hi;
    IpcMessage m;
    memset(&m, 0, sizeof m);
    CHECK_EQ(sys_ipc_bind_port(own_port, "/proc/unpriv/x", 14), -EPERM);
    CHECK_EQ(sys_ipc_bind_port(own_port, "/srv/mine", 9), -EPERM);
    CHECK_EQ(sys_ipc_bind_port(UNKNOWN_H, NULL, 0), -EPERM);
    CHECK_EQ(sys_ipc_unbind_port(LOG_PATH, sizeof LOG_PATH - 1), -EPERM);
    CHECK_EQ(sys_ipc_connect("/proc/unpriv/x", 14), -ENOENT); /* nothing was bound */
    CHECK_EQ(sys_debug_log("hello", 5), -EPERM);
    CHECK_EQ(sys_write(1, CONSOLE_LINE, sizeof CONSOLE_LINE - 1), -EPERM);
    CHECK_EQ(sys_write(2, CONSOLE_LINE, sizeof CONSOLE_LINE - 1), -EPERM);
    CHECK_EQ(sys_handle_close(UNKNOWN_H), -EBADF);
    CHECK_EQ(sys_handle_duplicate(UNKNOWN_H), -EBADF);
    CHECK_EQ(sys_handle_info(UNKNOWN_H, &hi), -EBADF);
    CHECK_EQ(sys_handle_info(UNKNOWN_H, NULL), -EBADF);
    CHECK_EQ(sys_handle_wait(UNKNOWN_H, 0), -EBADF);
    CHECK_EQ(sys_handle_grant(UNKNOWN_H, 1), -EBADF);
    CHECK_EQ(sys_sem_post(UNKNOWN_H), -EBADF);
    CHECK_EQ(sys_sem_wait(UNKNOWN_H), -EBADF);
    CHECK_EQ(sys_ipc_send(UNKNOWN_H, NULL), -EBADF);
    CHECK_EQ(sys_ipc_call(UNKNOWN_H, &m), -EBADF);
    CHECK_EQ(sys_ipc_recv(UNKNOWN_H, &m), -EBADF);
    CHECK_EQ(sys_chan_recv(UNKNOWN_H, &m), -EBADF);
    CHECK_EQ(sys_ipc_ring_map(UNKNOWN_H, NULL), -EBADF);
}

static long port, gone;
static uint8_t stack[16384] __attribute__((aligned(16)));

static int thread_fn(void *arg)
{
    (void)arg;
    int before = failed;
    CHECK_GT(sys_gettid(), sys_getpid());
    common_checks(port);
    CHECK_EQ(sys_sem_post(gone), -EBADF);
    return failed - before;
}

int main(void)
{
    for (int i = 0; i < 10000 && log_h < 0; i++) {
        log_h = sys_ipc_connect(LOG_PATH, sizeof LOG_PATH - 1); /* connect needs no privilege */
        if (log_h < 0)
            sys_proc_yield();
    }
    if (log_h < 0)
        return 100;
    long me = sys_getpid();
    CHECK_EQ(sys_proc_getppid(), 0);

    port = sys_ipc_create_port(0);
    CHECK_GT(port, 0);
    gone = sys_sem_create(1);
    CHECK_GT(gone, 0);
    CHECK_EQ(sys_sem_close(gone), 0);
    CHECK_EQ(sys_sem_post(gone), -EBADF); /* our own closed handle: unknown now (an admin gets EPERM) */
    common_checks(port);

    /* a thread: the same answers */
    long t = s9_thread_spawn(thread_fn, NULL, stack, sizeof stack, 0);
    CHECK_GT(t, 0);
    int st = -1;
    CHECK_EQ(sys_thread_join(t, &st, 0), t);
    CHECK_EQ(st, 0);

    /* anonymous memory works */
    long p = sys_mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK_EQ(p, (long)S9_MAP_BASE);
    *(volatile long *)(uintptr_t)p = 42;

    /* a forked child: no privilege gained, inherited handles usable */
    long pid = sys_proc_fork();
    if (pid == 0) {
        failed = 0;
        HandleInfo hi;
        CHECK_EQ(sys_proc_getppid(), me);
        CHECK_EQ(sys_handle_info(port, &hi), 0);
        CHECK_EQ(hi.resource_type, RES_IPC_PORT);
        CHECK_EQ(*(volatile long *)(uintptr_t)p, 42);
        common_checks(port);
        CHECK_EQ(sys_sem_post(gone), -EBADF);
        s9_exit(failed);
    }
    CHECK_GT(pid, 0);
    st = -1;
    CHECK_EQ(sys_proc_waitpid(pid, &st, 0), pid);
    CHECK_EQ(st, 0);
    int child_failed = WEXITSTATUS(st);

    IpcMessage m;
    memset(&m, 0, sizeof m);
    m.msg_type = DONE;
    sys_ipc_send(log_h, &m);
    return failed + child_failed;
}
