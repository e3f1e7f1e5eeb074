/*
 * scn_echo_server: scenario (a), an echo server bound at "/srv/echo".
 * Each SYS_IPC_CALL of type ECHO is answered with the payload upper-cased;
 * a call of type BYE ends that client. The server exits once argv[1]
 * clients (default 3) said BYE.
 *   strat9-emu run scn_echo_client.elf scn_echo_client.elf scn_echo_client.elf scn_echo_server.elf
 * Exit code: 0, or the number of protocol errors it saw.
 */
#include "strat9.h"

enum { ECHO = 0x100, BYE = 0x1ff, REPLY = 0x8000 };

static const char PATH[] = "/srv/echo";

int main(int argc, char **argv)
{
    long clients = argc > 1 ? s9_atol(argv[1]) : 3;
    long port = sys_ipc_create_port(0);
    long r = sys_ipc_bind_port(port, PATH, sizeof PATH - 1);
    if (port < 0 || r != 0) {
        s9_printf("echo server: cannot serve %s: %s\n", PATH, errno_name(port < 0 ? port : r));
        return 100;
    }
    s9_printf("echo server %ld: serving %s for %ld clients\n", sys_getpid(), PATH, clients);
    int errors = 0, served = 0;
    while (clients > 0) {
        IpcMessage m;
        memset(&m, 0, sizeof m);
        r = sys_ipc_recv(port, &m);
        if (r != 0) {
            s9_printf("echo server: recv failed: %s\n", errno_name(r));
            return 101;
        }
        if (m.msg_type == ECHO) {
            char text[IPC_PAYLOAD_SIZE + 1];
            memcpy(text, m.payload, IPC_PAYLOAD_SIZE);
            text[IPC_PAYLOAD_SIZE] = '\0';
            for (int i = 0; i < IPC_PAYLOAD_SIZE; i++)
                if (m.payload[i] >= 'a' && m.payload[i] <= 'z')
                    m.payload[i] = (uint8_t)(m.payload[i] - 'a' + 'A');
            s9_printf("echo server: [%lu] \"%s\" -> \"%s\"\n", (unsigned long)m.sender, text, (char *)m.payload);
            served++;
        } else if (m.msg_type == BYE) {
            s9_printf("echo server: [%lu] bye\n", (unsigned long)m.sender);
            clients--;
        } else {
            s9_printf("echo server: [%lu] unknown request type %#x\n", (unsigned long)m.sender, m.msg_type);
            errors++;
        }
        m.msg_type |= REPLY; /* m.sender still names the caller: the reply goes there */
        r = sys_ipc_reply(&m);
        if (r != 0) {
            s9_printf("echo server: reply failed: %s\n", errno_name(r));
            errors++;
        }
    }
    s9_printf("echo server: served %d requests, done\n", served);
    return errors;
}
