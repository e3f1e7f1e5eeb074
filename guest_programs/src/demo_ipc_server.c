/*
 * demo_ipc_server: the server of the IPC demo. An echo server bound at
 * "/srv/echo": ECHO calls get their text back upper-cased. A SHARE call
 * carries the caller's shared ring in msg.flags (transfer on receive); we
 * map it and answer with a channel of ours in msg.flags (transfer on
 * reply). A RING call means: the text is in the ring and its length on the
 * channel; we upper-case it in place and answer on the channel. Exits
 * when both clients said BYE.
 *   strat9-emu run --trace demo_ipc_server.elf demo_ipc_client.elf demo_ipc_sharer.elf
 */
#include "strat9.h"

enum { ECHO = 1, SHARE = 2, RING = 3, BYE = 4, REPLY = 0x100 };
static const char PATH[] = "/srv/echo";

static void upcase(volatile uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] >= 'a' && p[i] <= 'z')
            p[i] = (uint8_t)(p[i] - 'a' + 'A');
}

int main(void)
{
    long port = sys_ipc_create_port(0);
    if (port < 0 || sys_ipc_bind_port(port, PATH, sizeof PATH - 1) != 0)
        return 1;
    long chan = sys_chan_create(4);
    volatile uint8_t *ring = NULL;
    s9_printf("[server] serving %s\n", PATH);

    for (int clients = 2; clients > 0;) {
        IpcMessage m;
        memset(&m, 0, sizeof m);
        if (sys_ipc_recv(port, &m) != 0)
            return 2;
        unsigned long who = (unsigned long)m.sender;
        switch (m.msg_type) {
        case ECHO:
            s9_printf("[server] echo for task %lu: \"%s\"\n", who, (char *)m.payload);
            upcase(m.payload, IPC_PAYLOAD_SIZE);
            break;
        case SHARE: {
            uint64_t base = 0;
            long size = sys_ipc_ring_map(m.flags, &base); /* m.flags: the ring, now a handle of ours */
            ring = size > 0 ? (volatile uint8_t *)(uintptr_t)base : NULL;
            s9_printf("[server] task %lu shared a ring: %ld bytes mapped at %#lx; sending our channel\n", who,
                      size, (unsigned long)base);
            m.flags = (uint32_t)chan; /* the caller gets its own handle to our channel */
            break;
        }
        case RING: {
            IpcMessage note;
            memset(&note, 0, sizeof note);
            sys_chan_recv(chan, &note);
            uint32_t len;
            memcpy(&len, note.payload, 4);
            if (ring && len < 4096) {
                upcase(ring, len);
                s9_printf("[server] upper-cased %u bytes in the shared ring\n", (unsigned)len);
            }
            memset(&note, 0, sizeof note);
            s9_snprintf((char *)note.payload, IPC_PAYLOAD_SIZE, "done: %u bytes", (unsigned)len);
            sys_chan_send(chan, &note);
            break;
        }
        case BYE:
            s9_printf("[server] task %lu says bye\n", who);
            clients--;
            break;
        }
        m.msg_type |= REPLY;
        sys_ipc_reply(&m);
    }
    s9_printf("[server] all clients gone, exiting\n");
    return 0;
}
