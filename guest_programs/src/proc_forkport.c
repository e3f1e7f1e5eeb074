/*
 * proc_forkport: a port handle copied by fork (ABI.md sections 4, 5, 8).
 * The port stays owned by the task that created it (the parent):
 *  - the child's copy has the parent's number and the same object; the
 *    child can send to it and receive from it, in both directions;
 *  - the parent closing its handle does not destroy the port while the
 *    child holds a copy; the port stays bound and connectable;
 *  - when the owner (the parent) exits, the port is destroyed: the
 *    child's blocked recv fails with EPIPE, a later send through its copy
 *    with EBADF ("port gone"), connect with EBADF;
 *  - a port the child creates after the fork is the child's own: it
 *    lives on after the parent exits.
 * Run alone; the parent (pid 1) exits first, the child last. Both print
 * TAP; each exit code = its number of failed checks.
 */
#include "strat9.h"
#include "s9test.h"
#include "s9conf.h"

static const char PATH[] = "/srv/forkport";
enum { FROM_CHILD = 0x31, FROM_PARENT = 0x32, AGAIN = 0x33, OWN = 0x34 };

static long port, to_child, to_parent, parent_pid;

static void msg(IpcMessage *m, uint32_t type)
{
    memset(m, 0, sizeof *m);
    m->msg_type = type;
}

static int child(long port_res)
{
    IpcMessage m;
    s9test_count = 0;
    s9test_failed = 0;
    long me = sys_getpid();
    s9test_note("child: the copied handle names the parent's port");
    CHECK_EQ(info_resource(port), port_res);
    msg(&m, FROM_CHILD);
    CHECK_EQ(sys_ipc_send(port, &m), 0);
    CHECK_EQ(sys_sem_post(to_parent), 0);
    CHECK_EQ(sys_sem_wait(to_child), 0);

    s9test_note("child: receive what the parent queued");
    memset(&m, 0, sizeof m);
    CHECK_EQ(sys_ipc_try_recv(port, &m), 0);
    CHECK_EQ(m.msg_type, FROM_PARENT);
    CHECK_EQ(m.sender, parent_pid);
    long own = sys_ipc_create_port(0);
    CHECK_GT(own, 0);
    CHECK_EQ(sys_sem_post(to_parent), 0);
    CHECK_EQ(sys_sem_wait(to_child), 0);

    s9test_note("child: the parent closed its handle; ours still works");
    msg(&m, AGAIN);
    CHECK_EQ(sys_ipc_send(port, &m), 0);
    memset(&m, 0, sizeof m);
    CHECK_EQ(sys_ipc_try_recv(port, &m), 0);
    CHECK_EQ(m.msg_type, AGAIN);
    CHECK_EQ(m.sender, me);
    long c = sys_ipc_connect(PATH, sizeof PATH - 1);
    CHECK_GT(c, 0);
    CHECK_EQ(info_resource(c), port_res);
    CHECK_EQ(sys_handle_close(c), 0);
    CHECK_EQ(sys_sem_post(to_parent), 0);

    s9test_note("child: the owner exits while we wait in recv: EPIPE");
    memset(&m, 0, sizeof m);
    CHECK_EQ(sys_ipc_recv(port, &m), -EPIPE);
    msg(&m, AGAIN);
    CHECK_EQ(sys_ipc_send(port, &m), -EBADF);
    CHECK_EQ(sys_ipc_connect(PATH, sizeof PATH - 1), -EBADF);

    s9test_note("child: our own port lives on");
    msg(&m, OWN);
    CHECK_EQ(sys_ipc_send(own, &m), 0);
    memset(&m, 0, sizeof m);
    CHECK_EQ(sys_ipc_try_recv(own, &m), 0);
    CHECK_EQ(m.msg_type, OWN);
    CHECK_EQ(sys_handle_close(own), 0);
    return s9test_done();
}

int main(void)
{
    IpcMessage m;
    parent_pid = sys_getpid();
    port = sys_ipc_create_port(0);
    CHECK_GT(port, 0);
    CHECK_EQ(sys_ipc_bind_port(port, PATH, sizeof PATH - 1), 0);
    to_child = sys_sem_create(0);
    to_parent = sys_sem_create(0);
    long port_res = info_resource(port);
    long pid = sys_proc_fork();
    if (pid == 0)
        return child(port_res);
    CHECK_GT(pid, 0);
    CHECK_EQ(sys_sem_wait(to_parent), 0);

    s9test_note("parent: the child sent through its copy");
    memset(&m, 0, sizeof m);
    CHECK_EQ(sys_ipc_try_recv(port, &m), 0);
    CHECK_EQ(m.msg_type, FROM_CHILD);
    CHECK_EQ(m.sender, pid);
    msg(&m, FROM_PARENT);
    CHECK_EQ(sys_ipc_send(port, &m), 0);
    CHECK_EQ(sys_sem_post(to_child), 0);
    CHECK_EQ(sys_sem_wait(to_parent), 0);

    s9test_note("parent: close our handle; the child's copy keeps the port");
    CHECK_EQ(sys_handle_close(port), 0);
    msg(&m, AGAIN);
    CHECK_EQ(sys_ipc_send(port, &m), -EPERM); /* our number is gone */
    long c = sys_ipc_connect(PATH, sizeof PATH - 1);
    CHECK_GT(c, 0); /* still bound, still alive */
    CHECK_EQ(info_resource(c), port_res);
    CHECK_EQ(sys_handle_close(c), 0);
    CHECK_EQ(sys_sem_post(to_child), 0);
    CHECK_EQ(sys_sem_wait(to_parent), 0);
    s9_sleep_ns(2000000); /* the child blocks in recv on the port */
    s9test_note("parent: exit, destroying the port we own");
    return s9test_done();
}
