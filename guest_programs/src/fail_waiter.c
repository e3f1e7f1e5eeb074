/*
 * fail_waiter [keep]: gets a semaphore and a channel from fail_holder (by
 * handle transfer in the replies to two calls), starts one thread blocked in
 * SYS_SEM_WAIT and one in SYS_CHAN_RECV, then closes its own handles, so that
 * the holder's are the last; when the holder exits, both threads must fail
 * with EPIPE. Exit code 0 when they did. With "keep" it keeps its handles:
 * the objects survive the holder and the threads wait forever (a deadlock,
 * for the report of tests/emu/test_failures.py).
 */
#include "strat9.h"

static uint8_t stacks[2][16384] __attribute__((aligned(16)));
static long sem, chan;

static int sem_waiter(void *arg)
{
    (void)arg;
    return (int)-sys_sem_wait((uint64_t)sem);
}

static int chan_waiter(void *arg)
{
    (void)arg;
    IpcMessage m;
    return (int)-sys_chan_recv((uint64_t)chan, &m);
}

int main(int argc, char **argv)
{
    int keep = argc > 1 && strcmp(argv[1], "keep") == 0;
    static const char path[] = "/fail/holder";
    long h = -ENOENT;
    for (int i = 0; i < 100000 && h == -ENOENT; i++) {
        h = sys_ipc_connect(path, sizeof path - 1);
        if (h == -ENOENT)
            sys_proc_yield();
    }
    long got[2];
    for (int i = 0; i < 2; i++) {
        IpcMessage m;
        memset(&m, 0, sizeof m);
        if (h < 0 || sys_ipc_call((uint64_t)h, &m) != 0 || m.flags == 0)
            return 2;
        got[i] = m.flags;
    }
    sem = got[0];
    chan = got[1];
    long t1 = s9_thread_spawn(sem_waiter, NULL, stacks[0], sizeof stacks[0], 0);
    long t2 = s9_thread_spawn(chan_waiter, NULL, stacks[1], sizeof stacks[1], 0);
    if (t1 < 0 || t2 < 0)
        return 3;
    s9_sleep_ns(1000000); /* both threads block */
    if (!keep && (sys_handle_close((uint64_t)sem) != 0 || sys_chan_close((uint64_t)chan) != 0))
        return 4;
    int s1 = -1, s2 = -1;
    sys_thread_join(t1, &s1, 0);
    sys_thread_join(t2, &s2, 0);
    s9_printf("waiter: sem_wait -> %s, chan_recv -> %s\n", errno_name(-s1), errno_name(-s2));
    return s1 == EPIPE && s2 == EPIPE ? 0 : 1;
}
