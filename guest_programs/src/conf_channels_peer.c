/*
 * conf_channels_peer: the second process of conf_channels (ABI.md section 6).
 * Gets a channel granted by conf_channels, blocks in SYS_CHAN_RECV until
 * conf_channels sends, sends 3 messages into the 2-slot channel (the 3rd
 * blocks), says BYE, closes its handle and exits.
 * Exit code = number of failed checks.
 */
#include "strat9.h"
#include "s9test.h"
#include "s9conf.h"

static const char PATH[] = "/conf/channels";
enum { HELLO = 1, PING = 2, FILL = 3, BYE = 4 };

static void make_msg(IpcMessage *m, uint32_t type, uint64_t seq)
{
    memset(m, 0, sizeof *m);
    m->msg_type = type;
    put64(m, 0, seq);
    put64(m, 5, ~seq);
}

int main(void)
{
    IpcMessage m;
    HandleInfo hi;

    s9test_note("conf_channels_peer: pid %ld", sys_getpid());
    long h = connect_retry(PATH, sizeof PATH - 1);
    CHECK_GT(h, 0);
    memset(&m, 0, sizeof m);
    m.msg_type = HELLO;
    CHECK_EQ(sys_ipc_call(h, &m), 0);
    long c = (long)get64(&m, 0);
    long not_ours = (long)get64(&m, 1);
    uint64_t main_pid = get64(&m, 2);
    CHECK_EQ(sys_handle_info(c, &hi), 0);
    CHECK_EQ(hi.resource_type, RES_CHANNEL);
    CHECK_EQ(hi.permissions, PERM_READ | PERM_WRITE | PERM_GRANT);

    s9test_note("peer: a channel number of another process is unknown here (EBADF)");
    make_msg(&m, PING, 0);
    CHECK_EQ(sys_chan_send(not_ours, &m), -EBADF);
    CHECK_EQ(sys_chan_try_recv(not_ours, &m), -EBADF);
    CHECK_EQ(sys_chan_close(not_ours), -EBADF);

    s9test_note("peer: SYS_CHAN_RECV blocks until the other holder sends");
    memset(&m, 0, sizeof m);
    CHECK_EQ(sys_chan_recv(c, &m), 0);
    CHECK_EQ(m.msg_type, PING);
    CHECK_EQ(get64(&m, 0), 1);
    CHECK_EQ(m.sender, main_pid); /* stamped with the sender's pid */

    s9test_note("peer: the 3rd send into 2 slots blocks until the other holder receives");
    int bad = 0;
    for (uint64_t i = 0; i < 3; i++) {
        make_msg(&m, FILL, 100 + i);
        if (sys_chan_send(c, &m) != 0)
            bad++;
    }
    CHECK_EQ(bad, 0);
    make_msg(&m, BYE, 0);
    CHECK_EQ(sys_chan_send(c, &m), 0);
    CHECK_EQ(sys_chan_close(c), 0);
    return s9test_done();
}
