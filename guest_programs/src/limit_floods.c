/* limit_floods: exhausts one resource, chosen by argv[1], until the kernel
 * refuses, and prints how many it got and the errno: "forks", "threads",
 * "handles", "objects", "rings", "memory" ("seqforks" forks one child at a
 * time, 50 times: it must never run out). The refusal must be the errno the
 * real kernel gives when memory runs out (ENOMEM), and the run must end
 * cleanly (docs/limits.md). */
#include "strat9.h"

static char stacks[80][1024] __attribute__((aligned(16)));

static int idle(void *arg)
{
    (void)arg;
    s9_sleep_ns(1000000);
    return 0;
}

static void report(const char *what, long n, long err)
{
    s9_printf("%s: %ld before %s\n", what, n, errno_name(err));
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "handles";
    long n = 0, r = 0;
    if (!strcmp(what, "forks")) {
        for (;;) {
            r = sys_proc_fork();
            if (r == 0) {
                s9_sleep_ns(1000000); /* hold the slot a while, then leave */
                return 0;
            }
            if (r < 0)
                break;
            n++;
        }
        report(what, n, r);
        while (sys_proc_waitpid(-1, 0, 0) > 0)
            ;
        return r == -ENOMEM ? 0 : 1;
    }
    if (!strcmp(what, "seqforks")) { /* one child at a time: each gives its slot back */
        for (n = 0; n < 50; n++) {
            r = sys_proc_fork();
            if (r == 0)
                return 0;
            if (r < 0 || sys_proc_waitpid(r, 0, 0) != r)
                break;
        }
        s9_printf("%s: %ld\n", what, n);
        return n == 50 ? 0 : 1;
    }
    if (!strcmp(what, "threads")) {
        for (int i = 0; i < 80; i++) {
            r = s9_thread_spawn(idle, 0, stacks[i], sizeof stacks[i], 0);
            if (r < 0)
                break;
            n++;
        }
        report(what, n, r);
        return r == -ENOMEM ? 0 : 1;
    }
    long first = !strcmp(what, "handles") ? sys_sem_create(0) : 0;
    for (;;) {
        if (!strcmp(what, "handles"))
            r = sys_handle_duplicate(first); /* one table fills up */
        else if (!strcmp(what, "objects"))
            r = sys_sem_create(0);
        else if (!strcmp(what, "rings"))
            r = sys_ipc_ring_create(1 << 20);
        else if (!strcmp(what, "memory"))
            r = (long)sys_mmap(0, 64 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        else
            return 2;
        if (r < 0)
            break;
        n++;
    }
    report(what, n, r);
    return r == -ENOMEM ? 0 : 1;
}
