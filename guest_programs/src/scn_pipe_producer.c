/*
 * scn_pipe_producer: scenario (b), the producer. Connects to "/srv/pipe"
 * (retrying while ENOENT) and sends 40 numbered messages into the
 * consumer's 16-slot port as fast as it can: SYS_IPC_SEND blocks whenever
 * the port is full, until the consumer makes room.
 *   strat9-emu run --trace scn_pipe_producer.elf scn_pipe_consumer.elf
 * Exit code: 0, or 1 when a send failed.
 */
#include "strat9.h"

#define COUNT 40
static const char PATH[] = "/srv/pipe";

int main(void)
{
    long h = -ENOENT;
    for (int i = 0; i < 100000 && h == -ENOENT; i++) {
        h = sys_ipc_connect(PATH, sizeof PATH - 1);
        if (h == -ENOENT)
            sys_proc_yield();
    }
    if (h < 0) {
        s9_printf("producer: connect: %s\n", errno_name(h));
        return 1;
    }
    s9_printf("producer %ld: sending %d messages\n", sys_getpid(), COUNT);
    for (uint32_t i = 0; i < COUNT; i++) {
        IpcMessage m;
        memset(&m, 0, sizeof m);
        m.msg_type = 0x50;
        memcpy(m.payload, &i, sizeof i);
        s9_snprintf((char *)m.payload + 4, IPC_PAYLOAD_SIZE - 4, "item %u", (unsigned)i);
        long r = sys_ipc_send(h, &m);
        if (r != 0) {
            s9_printf("producer: send %u: %s\n", (unsigned)i, errno_name(r));
            return 1;
        }
    }
    s9_printf("producer: all %d sent\n", COUNT);
    return 0;
}
