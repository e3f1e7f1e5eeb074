/*
 * proc_forkecho_cli: a client of proc_forkecho_srv.
 *   proc_forkecho_cli ID COUNT
 * Connects to "/srv/forkecho" (retrying until it is bound), makes COUNT
 * ECHO calls and checks each reply: the text upper-cased, served by a
 * forked worker (pid != the server's pid 1, ppid == 1); then says BYE.
 * Exit code = number of failed checks.
 */
#include "strat9.h"
#include "s9test.h"

static const char PATH[] = "/srv/forkecho";
enum { ECHO = 0x20, ECHO_R = 0x21, BYE = 0x22, BYE_R = 0x23 };
#define SERVER_PID 1

static uint64_t get64(const IpcMessage *m, int off)
{
    uint64_t v;
    memcpy(&v, m->payload + off, 8);
    return v;
}

int main(int argc, char **argv)
{
    long id = argc > 1 ? s9_atol(argv[1]) : 0;
    long count = argc > 2 ? s9_atol(argv[2]) : 4;
    long h = -ENOENT;
    for (int i = 0; i < 10000 && h == -ENOENT; i++) {
        h = sys_ipc_connect(PATH, sizeof PATH - 1);
        if (h == -ENOENT)
            sys_proc_yield();
    }
    CHECK_GT(h, 0);

    long workers[16];
    int nworkers = 0;
    for (long j = 0; j < count; j++) {
        IpcMessage m;
        char text[32], want[32];
        memset(&m, 0, sizeof m);
        m.msg_type = ECHO;
        long n = s9_snprintf(text, sizeof text, "client %ld says hello %ld", id, j);
        memcpy(m.payload, text, (size_t)n);
        s9_snprintf(want, sizeof want, "CLIENT %ld SAYS HELLO %ld", id, j);
        CHECK_EQ(sys_ipc_call(h, &m), 0);
        CHECK_EQ(m.msg_type, ECHO_R);
        CHECK(memcmp(m.payload, want, (size_t)n) == 0);
        long wpid = (long)get64(&m, 32);
        CHECK_GT(wpid, 0);
        CHECK_NE(wpid, SERVER_PID);          /* a forked worker answered */
        CHECK_EQ(get64(&m, 40), SERVER_PID); /* whose parent is the server */
        int known = 0;
        for (int k = 0; k < nworkers; k++)
            known |= workers[k] == wpid;
        if (!known && nworkers < 16)
            workers[nworkers++] = wpid;
    }
    s9test_note("client %ld was served by %d distinct workers", id, nworkers);
    IpcMessage m;
    memset(&m, 0, sizeof m);
    m.msg_type = BYE;
    CHECK_EQ(sys_ipc_call(h, &m), 0);
    CHECK_EQ(m.msg_type, BYE_R);
    return s9test_done();
}
