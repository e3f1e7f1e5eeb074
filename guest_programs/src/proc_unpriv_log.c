/*
 * proc_unpriv_log: the admin reporter of proc_unpriv, which runs
 * unprivileged and so has no console. Binds "/proc/unpriv-log" and prints
 * each result it receives as a TAP line naming the sending task:
 *   strat9-emu run --unprivileged 2 proc_unpriv_log.elf proc_unpriv.elf
 * Message RESULT: payload u16 ok, u16 line, i64 got, i64 want, text[28].
 * Message DONE ends the log after `payload[0]` senders (u8) said DONE.
 * Exit code = number of failed results.
 */
#include "strat9.h"

static const char LOG_PATH[] = "/proc/unpriv-log";
enum { RESULT = 1, DONE = 2 };

int main(void)
{
    long port = sys_ipc_create_port(0);
    if (port < 0 || sys_ipc_bind_port(port, LOG_PATH, sizeof LOG_PATH - 1) != 0)
        return 100;
    s9_printf("# proc_unpriv (unprivileged) reports through proc_unpriv_log\n");
    int n = 0, failed = 0;
    for (;;) {
        IpcMessage m;
        memset(&m, 0, sizeof m);
        if (sys_ipc_recv(port, &m) != 0)
            return 101;
        if (m.msg_type == DONE) {
            s9_printf("# task %lu is done\n", (unsigned long)m.sender);
            break;
        }
        if (m.msg_type != RESULT)
            return 102;
        uint16_t ok, line;
        long got, want;
        char text[29];
        memcpy(&ok, m.payload, 2);
        memcpy(&line, m.payload + 2, 2);
        memcpy(&got, m.payload + 4, 8);
        memcpy(&want, m.payload + 12, 8);
        memcpy(text, m.payload + 20, 28);
        text[28] = '\0';
        n++;
        if (ok) {
            s9_printf("ok %d - [task %lu, line %u] %s\n", n, (unsigned long)m.sender, line, text);
        } else {
            failed++;
            s9_printf("not ok %d - [task %lu, line %u] %s: got %ld (%s), expected %ld (%s)\n", n,
                      (unsigned long)m.sender, line, text, got, errno_name(got), want, errno_name(want));
        }
    }
    s9_printf("1..%d\n# passed %d failed %d\n", n, n - failed, failed);
    return failed;
}
