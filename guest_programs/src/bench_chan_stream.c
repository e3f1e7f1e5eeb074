/* bench_chan_stream: the channel streaming benchmark. argv[1] messages
 * (default 1000000) through one channel of argv[2] slots (default 64,
 * the model clamps to 1..1024) from a producer to a consumer process.
 * The parent creates the channel and forks: the child inherits the handle
 * and consumes, checking that the sequence numbers arrive in order; the
 * parent produces, then collects the child's status with waitpid.
 * Exit code: 0, or the number of the failed check. */
#include "strat9.h"

static int consume(long chan, long n)
{
    IpcMessage m;
    long bad = 0;
    uint64_t sum = 0;
    for (long i = 0; i < n; i++) {
        if (sys_chan_recv(chan, &m) != 0)
            return 10;
        uint64_t seq;
        memcpy(&seq, m.payload, sizeof seq);
        if (seq != (uint64_t)i || m.msg_type != 0x5e)
            bad++;
        sum += seq;
    }
    s9_printf("chan_stream: consumer got %ld messages, %ld out of order, sum %lu\n", n, bad, (unsigned long)sum);
    return bad ? 11 : 0;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? s9_atol(argv[1]) : 1000000;
    long cap = argc > 2 ? s9_atol(argv[2]) : 64;
    long chan = sys_chan_create((uint64_t)cap);
    if (chan < 0)
        return 1;
    long child = sys_proc_fork();
    if (child < 0)
        return 2;
    if (child == 0)
        return consume(chan, n);
    IpcMessage m;
    memset(&m, 0, sizeof m);
    m.msg_type = 0x5e;
    for (long i = 0; i < n; i++) {
        uint64_t seq = (uint64_t)i;
        memcpy(m.payload, &seq, sizeof seq);
        if (sys_chan_send(chan, &m) != 0)
            return 3;
    }
    int status = -1;
    if (sys_proc_waitpid(child, &status, 0) != child)
        return 4;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 5;
}
