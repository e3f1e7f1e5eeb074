/* soak: N messages through a port, then N through a channel, then N records
 * through a shared ring, between a producer and a consumer process; the
 * consumer checks every message's content and order.
 *   soak consumer N   (pid 1: binds /srv/soak)
 *   soak producer N   (pid 2)
 * The consumer exits with the number of bad messages (0 when all is well). */
#include "strat9.h"

#define SLOTS 256
#define RECORD 64

static const char PATH[] = "/srv/soak";

/* The content of message i: six words any corruption or reordering breaks. */
static void fill(uint8_t *p, uint64_t i)
{
    uint64_t x = i * 0x9E3779B97F4A7C15ULL + 0x632BE59BD9B4E019ULL;
    for (int w = 0; w < 6; w++) {
        x ^= x >> 31;
        x *= 0xBF58476D1CE4E5B9ULL;
        memcpy(p + 8 * w, &x, 8);
    }
}

static int check(const uint8_t *p, uint64_t i)
{
    uint8_t want[48];
    fill(want, i);
    return memcmp(p, want, 48) != 0;
}

static int consumer(long n)
{
    long port = sys_ipc_create_port(0);
    if (port < 0 || sys_ipc_bind_port(port, PATH, sizeof PATH - 1) != 0)
        return 100;
    IpcMessage m;
    long bad = 0;
    /* the producer hands over its channel, ring and two semaphores first */
    long h[4];
    for (int k = 0; k < 4; k++) {
        if (sys_ipc_recv(port, &m) != 0 || m.flags == 0)
            return 101;
        h[k] = m.flags;
    }
    long chan = h[0], ring = h[1], items = h[2], spaces = h[3];
    uint64_t base = 0;
    if (sys_ipc_ring_map(ring, &base) != SLOTS * RECORD)
        return 102;

    for (long i = 0; i < n; i++) {
        if (sys_ipc_recv(port, &m) != 0 || m.msg_type != 1 || m.sender != 2 || check(m.payload, (uint64_t)i))
            bad++;
    }
    s9_printf("port: %ld messages, %ld bad\n", n, bad);
    long before = bad;
    for (long i = 0; i < n; i++) {
        if (sys_chan_recv(chan, &m) != 0 || m.msg_type != 2 || check(m.payload, (uint64_t)i))
            bad++;
    }
    s9_printf("channel: %ld messages, %ld bad\n", n, bad - before);
    before = bad;
    volatile uint8_t *slots = (volatile uint8_t *)(uintptr_t)base;
    for (long i = 0; i < n; i++) {
        if (sys_sem_wait(items) != 0)
            return 103;
        uint8_t rec[RECORD];
        for (int b = 0; b < RECORD; b++)
            rec[b] = slots[(i % SLOTS) * RECORD + b];
        uint64_t seq;
        memcpy(&seq, rec + 48, 8);
        if (seq != (uint64_t)i || check(rec, (uint64_t)i))
            bad++;
        if (sys_sem_post(spaces) != 0)
            return 104;
    }
    s9_printf("ring: %ld records, %ld bad\n", n, bad - before);
    return bad > 99 ? 99 : (int)bad;
}

static int producer(long n)
{
    long port;
    while ((port = sys_ipc_connect(PATH, sizeof PATH - 1)) == -ENOENT)
        sys_proc_yield();
    long chan = sys_chan_create(64), ring = sys_ipc_ring_create(SLOTS * RECORD);
    long items = sys_sem_create(0), spaces = sys_sem_create(SLOTS);
    long give[4] = {chan, ring, items, spaces};
    IpcMessage m;
    for (int k = 0; k < 4; k++) {
        memset(&m, 0, sizeof m);
        m.flags = (uint32_t)give[k];
        if (sys_ipc_send(port, &m) != 0)
            return 1;
    }
    uint64_t base = 0;
    if (sys_ipc_ring_map(ring, &base) != SLOTS * RECORD)
        return 2;
    for (long i = 0; i < n; i++) {
        memset(&m, 0, sizeof m);
        m.msg_type = 1;
        fill(m.payload, (uint64_t)i);
        if (sys_ipc_send(port, &m) != 0)
            return 3;
    }
    for (long i = 0; i < n; i++) {
        memset(&m, 0, sizeof m);
        m.msg_type = 2;
        fill(m.payload, (uint64_t)i);
        if (sys_chan_send(chan, &m) != 0)
            return 4;
    }
    volatile uint8_t *slots = (volatile uint8_t *)(uintptr_t)base;
    for (long i = 0; i < n; i++) {
        if (sys_sem_wait(spaces) != 0)
            return 5;
        uint8_t rec[RECORD] = {0};
        fill(rec, (uint64_t)i);
        uint64_t seq = (uint64_t)i;
        memcpy(rec + 48, &seq, 8);
        for (int b = 0; b < RECORD; b++)
            slots[(i % SLOTS) * RECORD + b] = rec[b];
        if (sys_sem_post(items) != 0)
            return 6;
    }
    return 0;
}

int main(int argc, char **argv)
{
    long n = argc > 2 ? s9_atol(argv[2]) : 1000;
    if (argc > 1 && !strcmp(argv[1], "producer"))
        return producer(n);
    return consumer(n);
}
