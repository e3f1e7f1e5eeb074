/*
 * proc_forkecho_srv: a pre-forking echo server (ABI.md section 8, fork).
 *   proc_forkecho_srv [WORKERS [CLIENTS]]     (defaults 3 and 3)
 *
 * The parent creates the port, binds "/srv/forkecho" and a report channel,
 * then forks WORKERS children. Every child inherits both handles under the
 * same numbers and serves clients by receiving from the shared port:
 *   ECHO (0x20, text)  -> reply 0x21: payload[0..32) the text upper-cased,
 *                         [32..40) the worker's pid, [40..48) its ppid;
 *                         then the worker naps 1 ms, so the next request
 *                         goes to an idle worker;
 *   BYE  (0x22)        -> reply 0x23, and CLIENT_DONE on the channel;
 *   STOP (0x30)        -> the worker sends REPORT on the channel and
 *                         exits with its count of failed checks (0).
 * The parent waits for CLIENTS CLIENT_DONE messages, sends one STOP per
 * worker into the port, collects the reports and reaps every worker with
 * waitpid, checking the statuses. Only the parent prints (TAP); a worker
 * counts its own failed checks into its report.
 * Exit code = number of failed checks of the parent.
 */
#include "strat9.h"
#include "s9test.h"

static const char PATH[] = "/srv/forkecho";
enum { ECHO = 0x20, ECHO_R = 0x21, BYE = 0x22, BYE_R = 0x23, STOP = 0x30, CLIENT_DONE = 0x40, REPORT = 0x41 };
#define MAX_WORKERS 8

static long port, chan, parent_pid;

static void put64(IpcMessage *m, int off, uint64_t v) { memcpy(m->payload + off, &v, 8); }
static uint64_t get64(const IpcMessage *m, int off)
{
    uint64_t v;
    memcpy(&v, m->payload + off, 8);
    return v;
}

/* ---------------------------------------------------------------------- */

static __attribute__((noreturn)) void worker(int index)
{
    long me = sys_getpid();
    long ppid = sys_proc_getppid();
    long served = 0, byes = 0, bad = 0;
    HandleInfo hi;

    /* the inherited handles, under the parent's numbers */
    if (ppid != parent_pid || me == parent_pid)
        bad++;
    if (sys_handle_info(port, &hi) != 0 || hi.resource_type != RES_IPC_PORT || hi.permissions != 31)
        bad++;
    if (sys_handle_info(chan, &hi) != 0 || hi.resource_type != RES_CHANNEL)
        bad++;

    for (;;) {
        IpcMessage m, r;
        memset(&m, 0, sizeof m);
        if (sys_ipc_recv(port, &m) != 0) {
            bad++;
            break;
        }
        if (m.msg_type == STOP)
            break;
        memset(&r, 0, sizeof r);
        r.sender = m.sender;
        if (m.msg_type == ECHO) {
            r.msg_type = ECHO_R;
            for (int i = 0; i < 32; i++) {
                uint8_t c = m.payload[i];
                r.payload[i] = (c >= 'a' && c <= 'z') ? (uint8_t)(c - 'a' + 'A') : c;
            }
            put64(&r, 32, (uint64_t)me);
            put64(&r, 40, (uint64_t)ppid);
            if (sys_ipc_reply(&r) != 0)
                bad++;
            served++;
            s9_sleep_ns(1000000);
        } else if (m.msg_type == BYE) {
            r.msg_type = BYE_R;
            if (sys_ipc_reply(&r) != 0)
                bad++;
            byes++;
            IpcMessage d;
            memset(&d, 0, sizeof d);
            d.msg_type = CLIENT_DONE;
            put64(&d, 0, m.sender);
            if (sys_chan_send(chan, &d) != 0)
                bad++;
        } else {
            bad++;
        }
    }
    IpcMessage rep;
    memset(&rep, 0, sizeof rep);
    rep.msg_type = REPORT;
    put64(&rep, 0, (uint64_t)index);
    put64(&rep, 8, (uint64_t)me);
    put64(&rep, 16, (uint64_t)ppid);
    put64(&rep, 24, (uint64_t)served);
    put64(&rep, 32, (uint64_t)byes);
    put64(&rep, 40, (uint64_t)bad);
    sys_chan_send(chan, &rep);
    s9_exit(bad);
}

/* ---------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    int workers = argc > 1 ? (int)s9_atol(argv[1]) : 3;
    int clients = argc > 2 ? (int)s9_atol(argv[2]) : 3;
    long pids[MAX_WORKERS];
    if (workers < 1 || workers > MAX_WORKERS)
        return 2;

    parent_pid = sys_getpid();
    CHECK_EQ(sys_proc_getppid(), 0);
    port = sys_ipc_create_port(0);
    CHECK_GT(port, 0);
    chan = sys_chan_create(64);
    CHECK_GT(chan, 0);
    CHECK_EQ(sys_ipc_bind_port(port, PATH, sizeof PATH - 1), 0);

    s9test_note("fork %d workers; each gets 0 from fork, the parent gets its pid", workers);
    for (int i = 0; i < workers; i++) {
        long pid = sys_proc_fork();
        if (pid == 0)
            worker(i);
        pids[i] = pid;
        CHECK_GT(pid, 0);
        CHECK_NE(pid, parent_pid);
        for (int j = 0; j < i; j++)
            CHECK_NE(pid, pids[j]);
    }
    CHECK_EQ(sys_getpid(), parent_pid); /* still the parent */

    s9test_note("wait until %d clients said BYE", clients);
    int done = 0;
    while (done < clients) {
        IpcMessage m;
        memset(&m, 0, sizeof m);
        if (!CHECK_EQ(sys_chan_recv(chan, &m), 0))
            break;
        if (!CHECK_EQ(m.msg_type, CLIENT_DONE))
            break;
        done++;
    }

    s9test_note("stop the workers through the shared port");
    for (int i = 0; i < workers; i++) {
        IpcMessage m;
        memset(&m, 0, sizeof m);
        m.msg_type = STOP;
        CHECK_EQ(sys_ipc_send(port, &m), 0);
    }

    long total = 0, byes = 0;
    int seen[MAX_WORKERS] = {0};
    for (int i = 0; i < workers; i++) {
        IpcMessage m;
        memset(&m, 0, sizeof m);
        CHECK_EQ(sys_chan_recv(chan, &m), 0);
        CHECK_EQ(m.msg_type, REPORT);
        long idx = (long)get64(&m, 0);
        if (!CHECK(idx >= 0 && idx < workers))
            continue;
        seen[idx]++;
        s9test_note("worker %ld served %ld echo requests", idx, (long)get64(&m, 24));
        CHECK_EQ(m.sender, pids[idx]);         /* stamped with the child's tid = its pid */
        CHECK_EQ(get64(&m, 8), pids[idx]);     /* getpid in the child = what fork returned */
        CHECK_EQ(get64(&m, 16), parent_pid);   /* getppid in the child */
        CHECK_GT(get64(&m, 24), 0);            /* every worker got work */
        CHECK_EQ(get64(&m, 40), 0);            /* no failure in the worker */
        total += (long)get64(&m, 24);
        byes += (long)get64(&m, 32);
    }
    for (int i = 0; i < workers; i++)
        CHECK_EQ(seen[i], 1);
    s9test_note("echo requests served in all: %ld", total);
    CHECK_EQ(byes, clients);

    s9test_note("reap every worker: exit status 0");
    for (int n = 0; n < workers; n++) {
        int st = -1;
        long pid = sys_proc_waitpid(-1, &st, 0);
        int idx = -1;
        for (int i = 0; i < workers; i++)
            if (pids[i] == pid)
                idx = i;
        if (!CHECK(idx >= 0))
            continue;
        CHECK_EQ(st, 0);
        CHECK_EQ(seen[idx], 1);
        seen[idx] = 2; /* reaped once */
    }
    int st = 0x5a5a;
    CHECK_EQ(sys_proc_waitpid(-1, &st, 0), -ECHILD);
    CHECK_EQ(sys_proc_waitpid(-1, &st, WNOHANG), -ECHILD);
    CHECK_EQ(st, 0x5a5a);

    s9test_note("the port, owned by the parent, still works after the workers left");
    IpcMessage m;
    memset(&m, 0, sizeof m);
    m.msg_type = 0x99;
    CHECK_EQ(sys_ipc_send(port, &m), 0);
    memset(&m, 0, sizeof m);
    CHECK_EQ(sys_ipc_try_recv(port, &m), 0);
    CHECK_EQ(m.msg_type, 0x99);
    CHECK_EQ(sys_ipc_unbind_port(PATH, sizeof PATH - 1), 0);
    CHECK_EQ(sys_handle_close(port), 0);
    CHECK_EQ(sys_chan_close(chan), 0);
    return s9test_done();
}
