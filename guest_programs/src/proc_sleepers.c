/*
 * proc_sleepers: sleepers wake in deadline order, in virtual time (ABI.md
 * section 10).
 *
 *   proc_sleepers [threads]   five threads sleep 50, 10, 40, 20, 30 ms (made
 *                             in that order); each prints "# woke: ..." as it
 *                             wakes; main joins them and checks the order
 *   proc_sleepers fork        five forked children sleep the same durations;
 *                             waitpid(-1) reaps them in deadline order
 *   proc_sleepers one MS      one process sleeps MS ms and prints when it
 *                             wakes (run several side by side)
 * A woken sleeper checks that at least its duration passed, and not a
 * millisecond more (the clock jumps to the next deadline).
 * Exit code = number of failed checks ("one": 0 or 1).
 */
#include "strat9.h"
#include "s9test.h"

#define N 5
static const long DURATION_MS[N] = {50, 10, 40, 20, 30};
static const int WAKE_ORDER[N] = {1, 3, 4, 2, 0}; /* indices by increasing duration */
#define MS 1000000L

static uint8_t stacks[N][16384] __attribute__((aligned(16)));

struct sleeper {
    int index;
    long ms;
    int64_t start, woke;
    long sleep_ret;
};
static struct sleeper sl[N];
static volatile int order[N];
static volatile int woken;

static int sleeper_thread(void *arg)
{
    struct sleeper *s = arg;
    s->start = s9_now_ns();
    s->sleep_ret = s9_sleep_ns(s->ms * MS);
    s->woke = s9_now_ns();
    order[woken++] = s->index;
    s9_printf("# woke: thread %d after %ld ms\n", s->index, (long)((s->woke - s->start) / MS));
    return s->index;
}

static int run_threads(void)
{
    long tid[N];
    s9test_note("five threads sleep 50, 10, 40, 20, 30 ms");
    for (int i = 0; i < N; i++) {
        sl[i].index = i;
        sl[i].ms = DURATION_MS[i];
        tid[i] = s9_thread_spawn(sleeper_thread, &sl[i], stacks[i], sizeof stacks[i], 0);
        CHECK_GT(tid[i], 0);
    }
    for (int i = 0; i < N; i++) {
        int st = -1;
        CHECK_EQ(sys_thread_join(tid[i], &st, 0), tid[i]);
        CHECK_EQ(st, i);
    }
    CHECK_EQ(woken, N);
    for (int k = 0; k < N; k++)
        CHECK_EQ(order[k], WAKE_ORDER[k]);
    for (int i = 0; i < N; i++) {
        int64_t slept = sl[i].woke - sl[i].start;
        CHECK_EQ(sl[i].sleep_ret, 0);
        CHECK_GE(slept, sl[i].ms * MS);
        CHECK_LT(slept, sl[i].ms * MS + MS);
    }
    return s9test_done();
}

static int run_fork(void)
{
    long pid[N];
    s9test_note("five children sleep 50, 10, 40, 20, 30 ms; waitpid(-1) reaps them as they wake");
    int64_t t0 = s9_now_ns();
    for (int i = 0; i < N; i++) {
        pid[i] = sys_proc_fork();
        if (pid[i] == 0) {
            int64_t start = s9_now_ns();
            long r = s9_sleep_ns(DURATION_MS[i] * MS);
            int64_t slept = s9_now_ns() - start;
            int ok = r == 0 && slept >= DURATION_MS[i] * MS && slept < DURATION_MS[i] * MS + MS;
            s9_printf("# woke: child %d after %ld ms\n", i, (long)(slept / MS));
            s9_exit(ok ? 0 : 100 + i);
        }
        CHECK_GT(pid[i], 0);
    }
    for (int k = 0; k < N; k++) {
        int st = -1;
        int want = WAKE_ORDER[k];
        CHECK_EQ(sys_proc_waitpid(-1, &st, 0), pid[want]);
        CHECK_EQ(st, 0);
        int64_t now = s9_now_ns() - t0;
        CHECK_GE(now, DURATION_MS[want] * MS);
    }
    int st = 0;
    CHECK_EQ(sys_proc_waitpid(-1, &st, WNOHANG), -ECHILD);
    return s9test_done();
}

static int run_one(long ms)
{
    int64_t start = s9_now_ns();
    long r = s9_sleep_ns(ms * MS);
    int64_t slept = s9_now_ns() - start;
    s9_printf("# woke: pid %ld after %ld ms\n", sys_getpid(), (long)(slept / MS));
    return r == 0 && slept >= ms * MS && slept < ms * MS + MS ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "fork") == 0)
        return run_fork();
    if (argc > 2 && strcmp(argv[1], "one") == 0)
        return run_one(s9_atol(argv[2]));
    if (argc > 1 && strcmp(argv[1], "threads") != 0) {
        s9_printf("usage: proc_sleepers [threads | fork | one MS]\n");
        return 2;
    }
    return run_threads();
}
