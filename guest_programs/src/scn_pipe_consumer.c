/*
 * scn_pipe_consumer: scenario (b), the consumer. Binds its port at
 * "/srv/pipe", lets the producer fill it (sleeping 5 ms of virtual time
 * before the first receive, and 1 ms after every 10th), then receives the
 * 40 messages and checks that they arrive in order, all from one sender.
 * Exit code = number of failed checks.
 */
#include "strat9.h"
#include "s9test.h"

#define COUNT 40
static const char PATH[] = "/srv/pipe";

int main(void)
{
    long port = sys_ipc_create_port(0);
    CHECK_GT(port, 0);
    CHECK_EQ(sys_ipc_bind_port(port, PATH, sizeof PATH - 1), 0);
    s9_sleep_ns(5000000);
    CHECK_EQ(sys_handle_wait(port, 0), WAIT_READABLE); /* full: 16 queued, the producer blocked */

    uint64_t producer = 0;
    int out_of_order = 0, wrong_sender = 0, errors = 0;
    for (uint32_t i = 0; i < COUNT; i++) {
        IpcMessage m;
        memset(&m, 0, sizeof m);
        if (sys_ipc_recv(port, &m) != 0) {
            errors++;
            continue;
        }
        uint32_t seq;
        memcpy(&seq, m.payload, sizeof seq);
        if (i == 0)
            producer = m.sender;
        if (m.sender != producer)
            wrong_sender++;
        if (seq != i)
            out_of_order++;
        if (i % 10 == 9) {
            s9_printf("consumer: got %u messages, last \"%s\" from %lu\n", (unsigned)i + 1,
                      (char *)m.payload + 4, (unsigned long)m.sender);
            s9_sleep_ns(1000000);
        }
    }
    CHECK_EQ(errors, 0);
    CHECK_EQ(out_of_order, 0);
    CHECK_EQ(wrong_sender, 0);
    CHECK_GT(producer, 0);
    CHECK_NE(producer, sys_getpid());
    IpcMessage extra;
    CHECK_EQ(sys_ipc_try_recv(port, &extra), -EAGAIN); /* exactly 40 */
    return s9test_done();
}
