/*
 * scn_share_user: scenario (c), the user. Gets a channel, a semaphore and
 * a shared ring from scn_share_owner through IpcMessage.flags (see there),
 * plays ping-pong on the channel with the semaphore as turn signal, and
 * exchanges a page of data through the ring.
 * Exit code = number of failed checks.
 */
#include "strat9.h"
#include "s9test.h"

enum { GET_CHAN = 1, GET_SEM = 2, RING = 3, PING = 4, PONG = 5, DATA = 6, BYE = 7, NEXT = 8, REPLY = 0x100 };
static const char PATH[] = "/srv/share";
#define ROUNDS 5

static uint32_t sum(const volatile uint8_t *p, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i < n; i++)
        s = s * 31 + p[i];
    return s;
}

static long type_of(long h)
{
    HandleInfo hi = {0, 0, 0};
    long r = sys_handle_info(h, &hi);
    return r < 0 ? r : (long)hi.resource_type;
}

int main(void)
{
    IpcMessage m;
    long pid = sys_getpid();
    long own = sys_ipc_create_port(0);
    long h = -ENOENT;
    for (int i = 0; i < 100000 && h == -ENOENT; i++) {
        h = sys_ipc_connect(PATH, sizeof PATH - 1);
        if (h == -ENOENT)
            sys_proc_yield();
    }
    CHECK_GT(h, 0);

    memset(&m, 0, sizeof m);
    m.msg_type = GET_CHAN;
    m.flags = (uint32_t)own; /* our port goes to the owner */
    CHECK_EQ(sys_ipc_call(h, &m), 0);
    CHECK_EQ(m.msg_type, GET_CHAN | REPLY);
    long chan = (long)m.flags;
    CHECK_EQ(type_of(chan), RES_CHANNEL);

    memset(&m, 0, sizeof m);
    m.msg_type = GET_SEM;
    CHECK_EQ(sys_ipc_call(h, &m), 0);
    CHECK_EQ(m.msg_type, GET_SEM | REPLY);
    long sem = (long)m.flags;
    CHECK_EQ(type_of(sem), RES_SEMAPHORE);

    memset(&m, 0, sizeof m);
    CHECK_EQ(sys_ipc_recv(own, &m), 0);
    CHECK_EQ(m.msg_type, RING);
    long ring = (long)m.flags;
    CHECK_EQ(type_of(ring), RES_SHARED_RING);
    s9_printf("user %ld: got channel h=%ld, semaphore h=%ld, ring h=%ld\n", pid, chan, sem, ring);

    for (uint32_t n = 1; n <= ROUNDS; n++) {
        memset(&m, 0, sizeof m);
        m.msg_type = PING;
        s9_snprintf((char *)m.payload, 40, "ping %u", (unsigned)n);
        memcpy(m.payload + 40, &n, 4);
        CHECK_EQ(sys_chan_send(chan, &m), 0);
        CHECK_EQ(sys_sem_wait(sem), 0); /* the owner has answered */
        memset(&m, 0, sizeof m);
        CHECK_EQ(sys_chan_recv(chan, &m), 0);
        CHECK_EQ(m.msg_type, PONG);
        uint32_t echoed;
        memcpy(&echoed, m.payload + 40, 4);
        CHECK_EQ(echoed, n);
        s9_printf("user: got \"%s\"\n", (char *)m.payload);
        memset(&m, 0, sizeof m);
        m.msg_type = NEXT; /* the owner may use the channel again */
        CHECK_EQ(sys_ipc_send(h, &m), 0);
    }

    uint64_t base = 0;
    CHECK_EQ(sys_ipc_ring_map(ring, &base), 8192);
    volatile uint8_t *shared = (volatile uint8_t *)(uintptr_t)base;
    for (int i = 0; i < 4096; i++)
        shared[i] = (uint8_t)(i * 7 + 3);
    uint32_t len = 4096, s = sum(shared, len);
    memset(&m, 0, sizeof m);
    m.msg_type = DATA;
    memcpy(m.payload, &len, 4);
    memcpy(m.payload + 4, &s, 4);
    CHECK_EQ(sys_chan_send(chan, &m), 0);
    CHECK_EQ(sys_sem_wait(sem), 0);
    int wrong = 0;
    for (int i = 0; i < 4096; i++)
        if (shared[4096 + i] != (uint8_t)(i * 7 + 4))
            wrong++;
    CHECK_EQ(wrong, 0);
    s9_printf("user: the owner's answer in ring page 1: %s\n", wrong ? "WRONG" : "every byte + 1");

    memset(&m, 0, sizeof m);
    m.msg_type = BYE;
    CHECK_EQ(sys_chan_send(chan, &m), 0);
    return s9test_done();
}
