/*
 * demo_ipc_sharer: the second client of the IPC demo. Two echo calls,
 * then it creates a shared ring and hands it to the server in msg.flags of
 * a SHARE call; the reply's msg.flags is the server's channel. It writes a
 * sentence into the ring, sends its length on the channel, asks the server
 * (RING call) to process it, and reads the answer from the channel and the
 * result from the ring. Then bye.
 */
#include "strat9.h"

enum { ECHO = 1, SHARE = 2, RING = 3, BYE = 4, REPLY = 0x100 };
static const char PATH[] = "/srv/echo";

static long call(long h, uint32_t type, uint32_t flags, const char *text, IpcMessage *m)
{
    memset(m, 0, sizeof *m);
    m->msg_type = type;
    m->flags = flags;
    s9_snprintf((char *)m->payload, IPC_PAYLOAD_SIZE, "%s", text);
    return sys_ipc_call(h, m);
}

int main(void)
{
    IpcMessage m;
    long pid = sys_getpid();
    long h = -ENOENT;
    while (h == -ENOENT) {
        h = sys_ipc_connect(PATH, sizeof PATH - 1);
        if (h == -ENOENT)
            sys_proc_yield();
    }
    if (h < 0)
        return 1;
    if (call(h, ECHO, 0, "sharing is caring", &m) != 0)
        return 2;
    s9_printf("[sharer %ld] \"sharing is caring\" -> \"%s\"\n", pid, (char *)m.payload);

    long ring = sys_ipc_ring_create(4096);
    uint64_t base = 0;
    if (ring < 0 || sys_ipc_ring_map(ring, &base) != 4096)
        return 3;
    if (call(h, SHARE, (uint32_t)ring, "", &m) != 0)
        return 4;
    long chan = (long)m.flags; /* the server's channel, as a handle of ours */
    s9_printf("[sharer %ld] gave the server ring h=%ld, got its channel as h=%ld\n", pid, ring, chan);

    static const char text[] = "a shared ring is one memory in two processes";
    char *shared = (char *)(uintptr_t)base;
    memcpy(shared, text, sizeof text);
    IpcMessage note;
    memset(&note, 0, sizeof note);
    uint32_t len = sizeof text - 1;
    memcpy(note.payload, &len, 4);
    if (sys_chan_send(chan, &note) != 0 || call(h, RING, 0, "", &m) != 0)
        return 5;
    memset(&note, 0, sizeof note);
    if (sys_chan_recv(chan, &note) != 0)
        return 6;
    s9_printf("[sharer %ld] channel says \"%s\"; the ring now reads \"%s\"\n", pid, (char *)note.payload, shared);

    if (call(h, BYE, 0, "", &m) != 0)
        return 7;
    return 0;
}
