/* bench_ring_stream: the shared-ring streaming benchmark. argv[1] records
 * (default 1000000) of 64 bytes from a producer to a consumer process
 * through a 64 KiB shared ring (SYS_IPC_RING_CREATE / MAP) of 1024 slots,
 * signalled in batches of 64 records with two counting semaphores: `items`
 * (full batches) and `space` (free batches). The parent sets everything up
 * and forks (the child inherits the handles and the ring mapping); the
 * child consumes and checks every word of every record, the parent
 * produces and collects the child's status. Four syscalls per 64 records:
 * the guests' own loads and stores on shared memory dominate.
 * Exit code: 0, or the number of the failed check. */
#include "strat9.h"

#define SLOTS 1024
#define BATCH 64
#define WORDS 8 /* 64-byte records */

typedef struct Record {
    uint64_t w[WORDS];
} Record;

static uint64_t mix(uint64_t seq, int k) { return seq * 0x9E3779B97F4A7C15ull + (uint64_t)k; }

static int consume(volatile Record *ring, long items, long space, long n)
{
    long bad = 0;
    uint64_t sum = 0;
    for (long i = 0; i < n; i += BATCH) {
        if (sys_sem_wait(items) != 0)
            return 10;
        long end = i + BATCH < n ? i + BATCH : n;
        for (long s = i; s < end; s++) {
            volatile Record *r = &ring[s % SLOTS];
            int ok = r->w[0] == (uint64_t)s;
            for (int k = 1; k < WORDS; k++)
                ok &= r->w[k] == mix((uint64_t)s, k);
            bad += !ok;
            sum += r->w[WORDS - 1];
        }
        if (sys_sem_post(space) != 0)
            return 11;
    }
    s9_printf("ring_stream: consumer got %ld records, %ld bad, sum %lx\n", n, bad, (unsigned long)sum);
    return bad ? 12 : 0;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? s9_atol(argv[1]) : 1000000;
    long ring = sys_ipc_ring_create(SLOTS * sizeof(Record));
    uint64_t base = 0;
    if (ring < 0 || sys_ipc_ring_map(ring, &base) != (long)(SLOTS * sizeof(Record)))
        return 1;
    long items = sys_sem_create(0);
    long space = sys_sem_create(SLOTS / BATCH);
    if (items < 0 || space < 0)
        return 2;
    volatile Record *slots = (volatile Record *)(uintptr_t)base;
    long child = sys_proc_fork();
    if (child < 0)
        return 3;
    if (child == 0)
        return consume(slots, items, space, n);
    for (long i = 0; i < n; i += BATCH) {
        if (sys_sem_wait(space) != 0)
            return 4;
        long end = i + BATCH < n ? i + BATCH : n;
        for (long s = i; s < end; s++) {
            volatile Record *r = &slots[s % SLOTS];
            r->w[0] = (uint64_t)s;
            for (int k = 1; k < WORDS; k++)
                r->w[k] = mix((uint64_t)s, k);
        }
        if (sys_sem_post(items) != 0)
            return 5;
    }
    int status = -1;
    if (sys_proc_waitpid(child, &status, 0) != child)
        return 6;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 7;
}
