/*
 * proc_forksem: fork copies the handle table under the same numbers, and
 * each copy counts as a holder (ABI.md section 8, SYS_PROC_FORK; section 4,
 * object lifetime).
 *
 *  - the child uses the parent's semaphore handles by their numbers: a
 *    ping-pong of ROUNDS rounds, printed "# ping N" / "# pong N";
 *  - the child's handles describe the same objects (HandleInfo.resource);
 *  - a semaphore whose handle the parent closed lives on in the child;
 *    the parent's number is gone in the parent only (EPERM / EBADF);
 *  - a handle the child closes stays valid in the parent;
 *  - a handle created by the child after the fork is unknown to the parent;
 *  - getppid in the child is the parent's pid; waitpid gives status 0.
 * Both processes print TAP (the child resets its copied counters).
 * Exit code = number of failed checks (the parent's include the child's
 * exit status).
 */
#include "strat9.h"
#include "s9test.h"
#include "s9conf.h"

#define ROUNDS 5
enum { NEW_HANDLE = 0x71 };

static long ping, pong, kept, mine, chan;
static long ping_res, kept_res, mine_res, parent_pid;

static int child(void)
{
    s9test_count = 0; /* the counters are a copy of the parent's */
    s9test_failed = 0;
    s9test_note("child: the inherited handles have the parent's numbers");
    CHECK_EQ(sys_proc_getppid(), parent_pid);
    CHECK_NE(sys_getpid(), parent_pid);
    CHECK_EQ(info_type(ping), RES_SEMAPHORE);
    CHECK_EQ(info_perms(ping), 27);
    CHECK_EQ(info_resource(ping), ping_res);
    CHECK_EQ(info_type(chan), RES_CHANNEL);

    for (int i = 0; i < ROUNDS; i++) {
        long w = sys_sem_wait(ping);
        s9_printf("# pong %d (child, wait=%ld)\n", i, w);
        if (w != 0)
            CHECK_EQ(w, 0);
        CHECK_EQ(sys_sem_post(pong), 0);
    }

    s9test_note("child: the parent closed its 'kept' handle; our copy keeps the semaphore");
    CHECK_EQ(sys_sem_wait(ping), 0); /* the parent has closed it by now */
    CHECK_EQ(info_resource(kept), kept_res);
    CHECK_EQ(sys_sem_trywait(kept), 0); /* posted twice by the parent before its close */
    CHECK_EQ(sys_sem_trywait(kept), 0);
    CHECK_EQ(sys_sem_trywait(kept), -EAGAIN);
    CHECK_EQ(sys_sem_post(kept), 0);
    CHECK_EQ(sys_sem_trywait(kept), 0);
    CHECK_EQ(sys_sem_close(kept), 0); /* the last holder: destroyed */

    s9test_note("child: close our copy of 'mine'; the parent's stays");
    CHECK_EQ(sys_sem_close(mine), 0);
    CHECK_EQ(sys_sem_post(mine), -EPERM); /* unknown here now */

    s9test_note("child: a new handle, sent to the parent by number");
    long fresh = sys_sem_create(3);
    CHECK_GT(fresh, 0);
    CHECK(fresh != ping && fresh != pong && fresh != kept && fresh != mine && fresh != chan);
    IpcMessage m;
    memset(&m, 0, sizeof m);
    m.msg_type = NEW_HANDLE;
    memcpy(m.payload, &fresh, 8);
    CHECK_EQ(sys_chan_send(chan, &m), 0);
    CHECK_EQ(sys_sem_post(pong), 0);
    CHECK_EQ(sys_sem_wait(ping), 0); /* the parent tried it */
    CHECK_EQ(sys_sem_trywait(fresh), 0);
    return s9test_done();
}

int main(void)
{
    parent_pid = sys_getpid();
    ping = sys_sem_create(0);
    pong = sys_sem_create(0);
    kept = sys_sem_create(0);
    mine = sys_sem_create(1);
    chan = sys_chan_create(4);
    CHECK(ping > 0 && pong > 0 && kept > 0 && mine > 0 && chan > 0);
    ping_res = info_resource(ping);
    kept_res = info_resource(kept);
    mine_res = info_resource(mine);

    long pid = sys_proc_fork();
    if (pid == 0)
        return child();
    s9test_note("parent: forked child %s", pid > 0 ? "ok" : "FAILED");
    CHECK_GT(pid, 0);
    CHECK_NE(pid, parent_pid);

    s9test_note("parent: ping-pong over the shared semaphores");
    for (int i = 0; i < ROUNDS; i++) {
        s9_printf("# ping %d (parent)\n", i);
        CHECK_EQ(sys_sem_post(ping), 0);
        long w = sys_sem_wait(pong);
        if (w != 0)
            CHECK_EQ(w, 0);
    }

    s9test_note("parent: post 'kept' twice, then close our handle: the child still holds one");
    CHECK_EQ(sys_sem_post(kept), 0);
    CHECK_EQ(sys_sem_post(kept), 0);
    CHECK_EQ(sys_sem_close(kept), 0);
    CHECK_EQ(sys_sem_post(kept), -EPERM);     /* our number is gone here */
    CHECK_EQ(sys_sem_close(kept), -EBADF);
    CHECK_EQ(info_type(kept), -EBADF);
    CHECK_EQ(sys_sem_post(ping), 0);

    long w = sys_sem_wait(pong); /* the child closed 'mine' and created a handle */
    CHECK_EQ(w, 0);
    s9test_note("parent: 'mine' survives the child's close");
    CHECK_EQ(info_resource(mine), mine_res);
    CHECK_EQ(sys_sem_trywait(mine), 0);
    CHECK_EQ(sys_sem_post(mine), 0);
    s9test_note("parent: the child's new handle number means nothing here");
    IpcMessage m;
    memset(&m, 0, sizeof m);
    CHECK_EQ(sys_chan_recv(chan, &m), 0);
    CHECK_EQ(m.msg_type, NEW_HANDLE);
    CHECK_EQ(m.sender, pid);
    long fresh;
    memcpy(&fresh, m.payload, 8);
    CHECK_EQ(sys_sem_post(fresh), -EPERM);
    CHECK_EQ(info_type(fresh), -EBADF);
    CHECK_EQ(sys_sem_post(ping), 0);

    int st = -1;
    CHECK_EQ(sys_proc_waitpid(pid, &st, 0), pid);
    CHECK_EQ(st, 0);
    s9test_note("parent: the child's exit released its handles; ours still work");
    CHECK_EQ(sys_sem_trywait(ping), -EAGAIN);
    CHECK_EQ(sys_sem_post(ping), 0);
    CHECK_EQ(sys_sem_trywait(ping), 0);
    CHECK_EQ(sys_sem_close(ping), 0);
    CHECK_EQ(sys_sem_close(pong), 0);
    CHECK_EQ(sys_sem_close(mine), 0);
    CHECK_EQ(sys_chan_close(chan), 0);
    return s9test_done();
}
