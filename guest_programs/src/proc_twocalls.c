/*
 * proc_twocalls: reply slots are per thread (ABI.md sections 3 and 5).
 * The main thread calls "/srv/two-a" while a second thread calls
 * "/srv/two-b"; both block in SYS_IPC_CALL at once and each gets its own
 * reply. IpcMessage.sender seen by each server is the calling thread's tid.
 *
 *   strat9-emu run proc_twocalls.elf \
 *       --args 2 "/srv/two-a 3 A" proc_callsrv.elf --args 3 "/srv/two-b 1 B" proc_callsrv.elf
 * (server A answers after 3 ms, server B after 1 ms: the thread's call,
 * made second, completes first, while the main thread still waits.)
 * Exit code = number of failed checks.
 */
#include "strat9.h"
#include "s9test.h"
#include "s9conf.h"

enum { CALL = 0x60, REPLY = 0x61 };
static const char PATH_A[] = "/srv/two-a";
static const char PATH_B[] = "/srv/two-b";

static uint8_t stack[16384] __attribute__((aligned(16)));

static void set_text(IpcMessage *m, const char *text)
{
    memset(m, 0, sizeof *m);
    m->msg_type = CALL;
    for (size_t i = 0; text[i] && i < 23; i++)
        m->payload[i] = (uint8_t)text[i];
}

struct result {
    long tid;
    long conn;
    long call;
    IpcMessage reply;
    int64_t t_call, t_back;
};

static void do_call(struct result *r, const char *path, size_t len, const char *text)
{
    r->tid = sys_gettid();
    r->conn = connect_retry(path, len);
    set_text(&r->reply, text);
    r->t_call = s9_now_ns();
    r->call = sys_ipc_call(r->conn, &r->reply);
    r->t_back = s9_now_ns();
}

static struct result res_a, res_b;

static int thread_b(void *arg)
{
    (void)arg;
    do_call(&res_b, PATH_B, sizeof PATH_B - 1, "from the thread");
    return 0;
}

static uint64_t u64_at(const IpcMessage *m, int off)
{
    uint64_t v;
    memcpy(&v, m->payload + off, 8);
    return v;
}

static void check_reply(struct result *r, char tag, const char *upper)
{
    CHECK_GT(r->conn, 0);
    CHECK_EQ(r->call, 0);
    CHECK_EQ(r->reply.msg_type, REPLY);
    CHECK_EQ(r->reply.payload[0], tag);
    CHECK(memcmp(r->reply.payload + 1, upper, strlen(upper)) == 0);
    CHECK_EQ(u64_at(&r->reply, 24), r->tid); /* the server saw this thread's tid as sender */
}

/* A reply to a thread that is not waiting is kept in that thread's slot
 * for its next call; one sent to the main thread meanwhile stays in the
 * main thread's slot. */
static long kept_port;
static volatile long kept_tid;
static long kept_go;
static struct result kept_b;

static int kept_thread(void *arg)
{
    (void)arg;
    kept_tid = sys_gettid();
    sys_sem_wait(kept_go); /* both replies are sent meanwhile */
    kept_b.tid = kept_tid;
    set_text(&kept_b.reply, "thread asks");
    kept_b.call = sys_ipc_call(kept_port, &kept_b.reply); /* returns the kept reply at once */
    return 0;
}

static void test_kept_replies(long pid)
{
    IpcMessage r, m, q;
    s9test_note("replies kept for threads that are not waiting go to their own slots");
    kept_port = sys_ipc_create_port(0);
    kept_go = sys_sem_create(0);
    long t = s9_thread_spawn(kept_thread, NULL, stack, sizeof stack, 0);
    CHECK_GT(t, 0);
    for (int i = 0; i < 1000 && kept_tid == 0; i++)
        sys_proc_yield();
    CHECK_EQ(kept_tid, t);
    memset(&r, 0, sizeof r);
    r.sender = (uint64_t)t;
    r.msg_type = 0x71; /* for the thread */
    CHECK_EQ(sys_ipc_reply(&r), 0);
    memset(&r, 0, sizeof r);
    r.sender = (uint64_t)pid;
    r.msg_type = 0x72; /* for the main thread */
    CHECK_EQ(sys_ipc_reply(&r), 0);
    CHECK_EQ(sys_sem_post(kept_go), 0);
    int st = -1;
    CHECK_EQ(sys_thread_join(t, &st, 0), t);
    CHECK_EQ(kept_b.call, 0);
    CHECK_EQ(kept_b.reply.msg_type, 0x71);
    set_text(&m, "main asks");
    CHECK_EQ(sys_ipc_call(kept_port, &m), 0); /* returns the main thread's kept reply */
    CHECK_EQ(m.msg_type, 0x72);
    s9test_note("both calls queued their own messages, stamped with their tids");
    memset(&q, 0, sizeof q);
    CHECK_EQ(sys_ipc_try_recv(kept_port, &q), 0);
    CHECK_EQ(q.sender, t);
    memset(&q, 0, sizeof q);
    CHECK_EQ(sys_ipc_try_recv(kept_port, &q), 0);
    CHECK_EQ(q.sender, pid);
    CHECK_EQ(sys_ipc_try_recv(kept_port, &q), -EAGAIN);
    sys_handle_close(kept_port);
    sys_sem_close(kept_go);
}

int main(void)
{
    long pid = sys_getpid();
    s9test_note("two threads of one process call two servers at once");
    long t = s9_thread_spawn(thread_b, NULL, stack, sizeof stack, 0);
    CHECK_GT(t, 0);
    CHECK_NE(t, pid);
    do_call(&res_a, PATH_A, sizeof PATH_A - 1, "from main");
    /* server B answered after 1 ms, A after 3 ms: the thread is done first */
    int st = -1;
    CHECK_EQ(sys_thread_join(t, &st, 0), t);
    CHECK_EQ(st, 0);

    s9test_note("the main thread got server A's reply");
    CHECK_EQ(res_a.tid, pid);
    check_reply(&res_a, 'A', "FROM MAIN");
    s9test_note("the second thread got server B's reply");
    CHECK_EQ(res_b.tid, t);
    check_reply(&res_b, 'B', "FROM THE THREAD");
    uint64_t srv_a = u64_at(&res_a.reply, 32), srv_b = u64_at(&res_b.reply, 32);
    CHECK(srv_a != srv_b);

    s9test_note("both calls were in flight together (virtual time)");
    CHECK(res_b.t_call < res_a.t_back); /* B was called before A's reply came */
    CHECK(res_a.t_call < res_b.t_back);
    CHECK(res_b.t_back < res_a.t_back); /* B's reply (1 ms) came first */
    CHECK_GE(res_a.t_back - res_a.t_call, 3000000);
    CHECK_GE(res_b.t_back - res_b.t_call, 1000000);

    test_kept_replies(pid);
    return s9test_done();
}
