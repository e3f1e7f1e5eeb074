/*
 * scn_share_owner: scenario (c), the owner. Serves "/srv/share" and hands
 * its channel, semaphore and shared ring to the user process through
 * IpcMessage.flags: the channel in the reply to GET_CHAN (transfer on
 * reply; the call itself carried the user's port, transferred to us on
 * receive), the semaphore in the reply to GET_SEM, and the ring in a plain
 * message sent to the user's port (transfer on receive). Then:
 *  - ping-pong: the user sends "ping N" on the channel and waits on the
 *    semaphore; we receive it, send "pong N" and post; the channel is
 *    symmetric (we could receive our own pong), so we wait for the user's
 *    NEXT on our port before we receive from the channel again;
 *  - data: the user fills ring page 0 and sends DATA (length, checksum) on
 *    the channel; we check the ring, write every byte + 1 into page 1, post.
 *   strat9-emu run scn_share_owner.elf scn_share_user.elf
 * Exit code = number of failed checks.
 */
#include "strat9.h"
#include "s9test.h"

enum { GET_CHAN = 1, GET_SEM = 2, RING = 3, PING = 4, PONG = 5, DATA = 6, BYE = 7, NEXT = 8, REPLY = 0x100 };
static const char PATH[] = "/srv/share";

static uint32_t sum(const volatile uint8_t *p, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i < n; i++)
        s = s * 31 + p[i];
    return s;
}

int main(void)
{
    IpcMessage m;
    long port = sys_ipc_create_port(0);
    CHECK_EQ(sys_ipc_bind_port(port, PATH, sizeof PATH - 1), 0);
    long chan = sys_chan_create(4), sem = sys_sem_create(0), ring = sys_ipc_ring_create(8192);
    uint64_t base = 0;
    CHECK_EQ(sys_ipc_ring_map(ring, &base), 8192);
    volatile uint8_t *shared = (volatile uint8_t *)(uintptr_t)base;
    s9_printf("owner %ld: serving %s (channel h=%ld, semaphore h=%ld, ring h=%ld at %#lx)\n", sys_getpid(), PATH,
              chan, sem, ring, (unsigned long)base);

    /* GET_CHAN: carries the user's port; we answer with our channel */
    memset(&m, 0, sizeof m);
    CHECK_EQ(sys_ipc_recv(port, &m), 0);
    CHECK_EQ(m.msg_type, GET_CHAN);
    long user = (long)m.sender;
    long user_port = (long)m.flags; /* transferred to us on receive */
    HandleInfo hi;
    CHECK_EQ(sys_handle_info(user_port, &hi), 0);
    CHECK_EQ(hi.resource_type, RES_IPC_PORT);
    s9_printf("owner: user %ld handed us its port as h=%ld\n", user, user_port);
    m.msg_type = GET_CHAN | REPLY;
    m.flags = (uint32_t)chan;
    CHECK_EQ(sys_ipc_reply(&m), 0);

    /* GET_SEM */
    memset(&m, 0, sizeof m);
    CHECK_EQ(sys_ipc_recv(port, &m), 0);
    CHECK_EQ(m.msg_type, GET_SEM);
    m.msg_type = GET_SEM | REPLY;
    m.flags = (uint32_t)sem;
    CHECK_EQ(sys_ipc_reply(&m), 0);

    /* the ring, to the user's own port */
    memset(&m, 0, sizeof m);
    m.msg_type = RING;
    m.flags = (uint32_t)ring;
    CHECK_EQ(sys_ipc_send(user_port, &m), 0);

    /* ping-pong */
    for (;;) {
        memset(&m, 0, sizeof m);
        CHECK_EQ(sys_chan_recv(chan, &m), 0);
        if (m.msg_type != PING)
            break;
        CHECK_EQ(m.sender, user);
        s9_printf("owner: got \"%s\"\n", (char *)m.payload);
        uint32_t n;
        memcpy(&n, m.payload + 40, 4);
        memset(&m, 0, sizeof m);
        m.msg_type = PONG;
        s9_snprintf((char *)m.payload, 40, "pong %u", (unsigned)n);
        memcpy(m.payload + 40, &n, 4);
        CHECK_EQ(sys_chan_send(chan, &m), 0);
        CHECK_EQ(sys_sem_post(sem), 0);
        memset(&m, 0, sizeof m);
        CHECK_EQ(sys_ipc_recv(port, &m), 0); /* the user took the pong */
        CHECK_EQ(m.msg_type, NEXT);
    }

    /* data through the ring */
    CHECK_EQ(m.msg_type, DATA);
    uint32_t len, want;
    memcpy(&len, m.payload, 4);
    memcpy(&want, m.payload + 4, 4);
    CHECK_EQ(len, 4096);
    CHECK_EQ(sum(shared, len), want);
    for (uint32_t i = 0; i < len; i++)
        shared[4096 + i] = (uint8_t)(shared[i] + 1);
    s9_printf("owner: %u bytes in the ring, checksum %#x ok; wrote them back + 1\n", (unsigned)len,
              (unsigned)want);
    CHECK_EQ(sys_sem_post(sem), 0);

    memset(&m, 0, sizeof m);
    CHECK_EQ(sys_chan_recv(chan, &m), 0);
    CHECK_EQ(m.msg_type, BYE);
    s9_printf("owner: bye\n");
    return s9test_done();
}
