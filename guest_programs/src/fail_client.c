/*
 * fail_client [PATH]: connects to PATH (default "/fail/srv"), retrying while
 * it is not bound yet, makes one SYS_IPC_CALL and reports the answer. For
 * tests/emu/test_failures.py, where the server faults, exits or spins.
 * Exit code 0 when the answer is the kernel's EPIPE error reply (type 0x80,
 * payload errno 32), 1 for any other answer, 2 if the call failed.
 */
#include "strat9.h"

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "/fail/srv";
    long h = -ENOENT;
    for (int i = 0; i < 100000 && h == -ENOENT; i++) {
        h = sys_ipc_connect(path, strlen(path));
        if (h == -ENOENT)
            sys_proc_yield();
    }
    if (h < 0) {
        s9_printf("client %ld: connect %s = %ld (%s)\n", sys_getpid(), path, h, errno_name(h));
        return 2;
    }
    IpcMessage m;
    memset(&m, 0, sizeof m);
    m.msg_type = 1;
    s9_snprintf((char *)m.payload, IPC_PAYLOAD_SIZE, "from %ld", sys_getpid());
    long r = sys_ipc_call((uint64_t)h, &m);
    uint32_t err;
    memcpy(&err, m.payload, 4);
    s9_printf("client %ld: call = %ld, reply type %#x, errno %u (%s)\n", sys_getpid(), r, m.msg_type, (unsigned)err,
              errno_name((long)err));
    if (r != 0)
        return 2;
    return m.msg_type == IPC_MSG_ERROR_REPLY && err == EPIPE ? 0 : 1;
}
