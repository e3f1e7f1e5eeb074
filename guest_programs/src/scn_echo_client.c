/*
 * scn_echo_client: scenario (a), a client of scn_echo_server. Retries
 * SYS_IPC_CONNECT("/srv/echo") while it gives ENOENT (yielding between
 * tries), then makes argv[1] (default 4) SYS_IPC_CALLs and checks that each
 * reply is its own payload upper-cased; then says BYE.
 * Exit code = number of failed checks.
 */
#include "strat9.h"
#include "s9test.h"

enum { ECHO = 0x100, BYE = 0x1ff, REPLY = 0x8000 };

static const char PATH[] = "/srv/echo";

int main(int argc, char **argv)
{
    long calls = argc > 1 ? s9_atol(argv[1]) : 4;
    long pid = sys_getpid();
    long h = -ENOENT;
    int tries = 0;
    while (h == -ENOENT && tries < 100000) {
        h = sys_ipc_connect(PATH, sizeof PATH - 1);
        tries++;
        if (h == -ENOENT)
            sys_proc_yield();
    }
    s9_printf("client %ld: connected after %d tries\n", pid, tries);
    CHECK_GT(h, 0);

    for (long i = 1; i <= calls; i++) {
        IpcMessage m;
        char want[IPC_PAYLOAD_SIZE];
        memset(&m, 0, sizeof m);
        m.msg_type = ECHO;
        s9_snprintf((char *)m.payload, IPC_PAYLOAD_SIZE, "client %ld says hello #%ld", pid, i);
        s9_snprintf(want, sizeof want, "CLIENT %ld SAYS HELLO #%ld", pid, i);
        CHECK_EQ(sys_ipc_call(h, &m), 0);
        CHECK_EQ(m.msg_type, ECHO | REPLY);
        CHECK_EQ(m.sender, pid);
        CHECK_EQ(strcmp((char *)m.payload, want), 0);
        s9_printf("client %ld: reply \"%s\"\n", pid, (char *)m.payload);
    }
    IpcMessage bye;
    memset(&bye, 0, sizeof bye);
    bye.msg_type = BYE;
    CHECK_EQ(sys_ipc_call(h, &bye), 0);
    CHECK_EQ(bye.msg_type, BYE | REPLY);
    return s9test_done();
}
