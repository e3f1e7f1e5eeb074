/*
 * conf_namespace: conformance of the port namespace, ABI.md section 5 rows
 * SYS_IPC_BIND_PORT (205), SYS_IPC_UNBIND_PORT (206) and SYS_IPC_CONNECT
 * (208): the path checks in upstream order (NULL/len 0 -> EFAULT, len >
 * 4096 -> EINVAL, unreadable -> EFAULT, not UTF-8 -> EINVAL), the handle
 * checks of bind, the leading '/', the trailing '/' normalisation, EEXIST
 * (also for "/", mounted by the real kernel at boot), the bootstrap message
 * of "/srv/strate-fs-*", and connect's longest prefix on '/' boundaries.
 * The admin-only EPERM of bind/unbind is checked by conf_unpriv.
 *
 * Single process: strat9-emu run conf_namespace.elf
 * Exit code = number of failed checks.
 */
#include "strat9.h"
#include "s9test.h"
#include "s9conf.h"

#define BAD_HIGH ((void *)0xdead0000UL)
#define UNKNOWN_H 0x7ffffff0UL
/* 2 unmapped bytes, then the ELF header at 0x400000 */
#define STRADDLE ((const char *)(uintptr_t)0x3ffffeUL)
/* A readable address that is the same with every compiler (the ELF
 * header, at 0x400000), for calls whose length is 0: the trace shows it. */
extern const unsigned char __ehdr_start[];
#define FIXED ((const char *)(uintptr_t)__ehdr_start)

#define S(lit) lit, sizeof lit - 1 /* a string literal and its length */

static long mypid;
static char big[4200];

/* Connect and return the port id the new handle names (then close it), or
 * the error. */
static long resolves_to(const char *path, size_t len)
{
    long h = sys_ipc_connect(path, len);
    if (h < 0)
        return h;
    long id = info_resource(h);
    sys_handle_close(h);
    return id;
}

static void test_bind_checks(void)
{
    s9test_note("SYS_IPC_BIND_PORT (205): path checks first, in order");
    long p = sys_ipc_create_port(0);
    CHECK_EQ(sys_ipc_bind_port(p, NULL, 5), -EFAULT);
    CHECK_EQ(sys_ipc_bind_port(p, FIXED, 0), -EFAULT);
    CHECK_EQ(sys_ipc_bind_port(p, NULL, 0), -EFAULT);
    CHECK_EQ(sys_ipc_bind_port(p, big, 4097), -EINVAL);
    CHECK_EQ(sys_ipc_bind_port(p, BAD_HIGH, 4097), -EINVAL); /* length before the read */
    CHECK_EQ(sys_ipc_bind_port(p, big, ~0UL), -EINVAL);
    CHECK_EQ(sys_ipc_bind_port(p, BAD_HIGH, 5), -EFAULT);
    CHECK_EQ(sys_ipc_bind_port(p, STRADDLE, 4), -EFAULT);
    CHECK_EQ(sys_ipc_bind_port(p, S("/conf/ns/\xff")), -EINVAL);
    CHECK_EQ(sys_ipc_bind_port(p, S("/conf/ns/\xc0\xaf")), -EINVAL); /* overlong '/' */
    CHECK_EQ(sys_ipc_bind_port(p, S("/conf/ns/\xe2\x82")), -EINVAL); /* truncated */
    CHECK_EQ(sys_ipc_bind_port(p, S("/conf/ns/\xed\xa0\x80")), -EINVAL); /* a surrogate */

    s9test_note("bind: then the handle (read|write|grant, else EPERM; not a port: EBADF)");
    long sem = sys_sem_create(0), chan = sys_chan_create(1), ring = sys_ipc_ring_create(1);
    CHECK_EQ(sys_ipc_bind_port(UNKNOWN_H, S("/conf/ns/h")), -EPERM);
    CHECK_EQ(sys_ipc_bind_port(chan, S("/conf/ns/h")), -EBADF);
    CHECK_EQ(sys_ipc_bind_port(sem, S("/conf/ns/h")), -EBADF);
    CHECK_EQ(sys_ipc_bind_port(ring, S("/conf/ns/h")), -EBADF);
    CHECK_EQ(sys_ipc_bind_port(p, S("/conf/ns/h")), 0);
    long conn = sys_ipc_connect(S("/conf/ns/h"));
    CHECK_GT(conn, 0);
    CHECK_EQ(info_perms(conn), PERM_READ | PERM_WRITE);
    CHECK_EQ(sys_ipc_bind_port(conn, S("/conf/ns/h2")), -EPERM); /* no grant */
    /* path errors come before handle errors */
    CHECK_EQ(sys_ipc_bind_port(UNKNOWN_H, NULL, 5), -EFAULT);
    CHECK_EQ(sys_ipc_bind_port(UNKNOWN_H, big, 4097), -EINVAL);
    CHECK_EQ(sys_ipc_bind_port(sem, BAD_HIGH, 3), -EFAULT);
    CHECK_EQ(sys_ipc_bind_port(conn, S("/\xff")), -EINVAL);

    s9test_note("bind: the path must start with '/' (EINVAL), checked after the handle");
    CHECK_EQ(sys_ipc_bind_port(p, S("conf/ns/rel")), -EINVAL);
    CHECK_EQ(sys_ipc_bind_port(p, S(" /conf/ns/rel")), -EINVAL);
    CHECK_EQ(sys_ipc_bind_port(p, S("x")), -EINVAL);
    CHECK_EQ(sys_ipc_bind_port(UNKNOWN_H, S("rel")), -EPERM);
    CHECK_EQ(sys_ipc_bind_port(conn, S("rel")), -EPERM);
    CHECK_EQ(sys_ipc_bind_port(sem, S("rel")), -EBADF);
    CHECK_EQ(sys_ipc_connect(S("conf/ns/rel")), -ENOENT); /* nothing was bound */

    s9test_note("bind: already bound -> EEXIST; \"/\" is mounted at boot");
    CHECK_EQ(sys_ipc_bind_port(p, S("/conf/ns/h")), -EEXIST);
    long p2 = sys_ipc_create_port(0);
    CHECK_EQ(sys_ipc_bind_port(p2, S("/conf/ns/h")), -EEXIST);
    CHECK_EQ(sys_ipc_bind_port(p2, S("/")), -EEXIST);
    long idp = info_resource(p), idp2 = info_resource(p2);
    CHECK_EQ(resolves_to(S("/conf/ns/h")), idp); /* unchanged */

    s9test_note("bind: one trailing '/' is removed before the EEXIST check");
    CHECK_EQ(sys_ipc_bind_port(p2, S("/conf/ns/h/")), -EEXIST);
    CHECK_EQ(sys_ipc_bind_port(p2, S("/conf/ns/t/")), 0);
    CHECK_EQ(sys_ipc_bind_port(p, S("/conf/ns/t")), -EEXIST);
    CHECK_EQ(sys_ipc_bind_port(p, S("/conf/ns/t/")), -EEXIST);

    s9test_note("bind: a port may be bound at several paths; valid UTF-8 and 4096-byte paths are fine");
    CHECK_EQ(sys_ipc_bind_port(p, S("/conf/ns/h-alias")), 0);
    CHECK_EQ(resolves_to(S("/conf/ns/h-alias")), idp);
    CHECK_EQ(sys_ipc_bind_port(p, S("/conf/ns/caf\xc3\xa9-\xe2\x82\xac")), 0);
    CHECK_EQ(resolves_to(S("/conf/ns/caf\xc3\xa9-\xe2\x82\xac")), idp);
    big[0] = '/';
    for (int i = 1; i < 4096; i++)
        big[i] = (char)('a' + i % 26);
    big[4096] = 'Z';
    CHECK_EQ(sys_ipc_bind_port(p2, big, 4096), 0);
    CHECK_EQ(resolves_to(big, 4096), idp2);
    CHECK_EQ(sys_ipc_connect(big, 4097), -EINVAL);

    IpcMessage m;
    CHECK_EQ(sys_ipc_try_recv(p, &m), -EAGAIN); /* no bootstrap message for these */
    CHECK_EQ(sys_ipc_try_recv(p2, &m), -EAGAIN);

    CHECK_EQ(sys_handle_close(conn), 0);
    CHECK_EQ(sys_handle_close(sem), 0);
    CHECK_EQ(sys_handle_close(chan), 0);
    CHECK_EQ(sys_handle_close(ring), 0);
}

static int label_is(const IpcMessage *m, const char *label)
{
    size_t n = strlen(label);
    if (m->payload[0] != n || memcmp(m->payload + 1, label, n) != 0)
        return 0;
    for (size_t i = 1 + n; i < IPC_PAYLOAD_SIZE; i++)
        if (m->payload[i])
            return 0;
    return 1;
}

static void test_bootstrap(void)
{
    IpcMessage m;
    s9test_note("bind of /srv/strate-fs-*: a bootstrap message (0x10, sender = binder, flags 0, label)");
    long p = sys_ipc_create_port(0);
    CHECK_EQ(sys_ipc_bind_port(p, S("/srv/strate-fs-conf")), 0);
    memset(&m, 0xee, sizeof m);
    CHECK_EQ(sys_ipc_try_recv(p, &m), 0);
    CHECK_EQ(m.msg_type, 0x10);
    CHECK_EQ(m.sender, mypid);
    CHECK_EQ(m.flags, 0); /* no block device in the testbed */
    CHECK_EQ(m.payload[0], 14);
    CHECK(label_is(&m, "strate-fs-conf")); /* the last path component */
    CHECK_EQ(sys_ipc_try_recv(p, &m), -EAGAIN); /* exactly one */
    long p2 = sys_ipc_create_port(0);
    CHECK_EQ(sys_ipc_bind_port(p2, S("/srv/strate-fs-conf")), -EEXIST);
    CHECK_EQ(sys_ipc_try_recv(p2, &m), -EAGAIN); /* a failed bind queues nothing */

    long q = sys_ipc_create_port(0);
    CHECK_EQ(sys_ipc_bind_port(q, S("/srv/strate-fs-conf2/volume/")), 0);
    CHECK_EQ(sys_ipc_try_recv(q, &m), 0);
    CHECK_EQ(m.msg_type, 0x10);
    CHECK(label_is(&m, "volume"));

    /* a label longer than the payload is cut to 47 bytes */
    long r = sys_ipc_create_port(0);
    static const char longp[] = "/srv/strate-fs-0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEF";
    CHECK_EQ(sys_ipc_bind_port(r, longp, sizeof longp - 1), 0);
    CHECK_EQ(sys_ipc_try_recv(r, &m), 0);
    CHECK_EQ(m.payload[0], 47);
    CHECK_EQ(memcmp(m.payload + 1, longp + 5, 47), 0);

    /* not a strate-fs path: no message */
    long s = sys_ipc_create_port(0);
    CHECK_EQ(sys_ipc_bind_port(s, S("/srv/strate-fsx")), 0);
    CHECK_EQ(sys_ipc_bind_port(s, S("/conf/srv/strate-fs-nested")), 0);
    CHECK_EQ(sys_ipc_try_recv(s, &m), -EAGAIN);
}

static void test_connect(void)
{
    IpcMessage m;
    HandleInfo hi;
    s9test_note("SYS_IPC_CONNECT (208): a new read|write handle to the bound port");
    long a = sys_ipc_create_port(0), b = sys_ipc_create_port(0);
    long ida = info_resource(a), idb = info_resource(b);
    CHECK_NE(ida, idb);
    CHECK_EQ(sys_ipc_bind_port(a, S("/conf/ns/svc")), 0);
    CHECK_EQ(sys_ipc_bind_port(b, S("/conf/ns/svc/sub")), 0);
    long c1 = sys_ipc_connect(S("/conf/ns/svc"));
    long c2 = sys_ipc_connect(S("/conf/ns/svc"));
    CHECK_GT(c1, 0);
    CHECK_GT(c2, 0);
    CHECK_NE(c1, c2); /* a new handle each time */
    CHECK_EQ(sys_handle_info(c1, &hi), 0);
    CHECK_EQ(hi.resource_type, RES_IPC_PORT);
    CHECK_EQ(hi.permissions, PERM_READ | PERM_WRITE);
    CHECK_EQ(hi.resource, ida);
    memset(&m, 0, sizeof m);
    m.msg_type = 0x42;
    CHECK_EQ(sys_ipc_send(c1, &m), 0);
    CHECK_EQ(sys_ipc_try_recv(a, &m), 0);
    CHECK_EQ(m.msg_type, 0x42);

    s9test_note("connect: longest bound prefix ending at a '/' or at the end of the path");
    CHECK_EQ(resolves_to(S("/conf/ns/svc/")), ida);
    CHECK_EQ(resolves_to(S("/conf/ns/svc/x/y")), ida);
    CHECK_EQ(resolves_to(S("/conf/ns/svc/sub")), idb);
    CHECK_EQ(resolves_to(S("/conf/ns/svc/sub/")), idb);
    CHECK_EQ(resolves_to(S("/conf/ns/svc/sub/file")), idb);
    CHECK_EQ(resolves_to(S("/conf/ns/svc/subway")), ida); /* "sub" is not a whole component here */
    CHECK_EQ(resolves_to(S("/conf/ns/svc/su")), ida);
    CHECK_EQ(resolves_to(S("/conf/ns/svcx")), -ENOENT);
    CHECK_EQ(resolves_to(S("/conf/ns/sv")), -ENOENT);
    CHECK_EQ(resolves_to(S("/conf/ns")), -ENOENT);
    CHECK_EQ(resolves_to(S("/conf/nothing/here")), -ENOENT);
    CHECK_EQ(resolves_to(S("conf/ns/svc")), -ENOENT);

    s9test_note("connect errors: NULL/len 0 -> EFAULT, len > 4096 -> EINVAL, unreadable -> EFAULT, UTF-8 -> EINVAL");
    CHECK_EQ(sys_ipc_connect(NULL, 5), -EFAULT);
    CHECK_EQ(sys_ipc_connect(FIXED, 0), -EFAULT);
    CHECK_EQ(sys_ipc_connect(big, 4097), -EINVAL);
    CHECK_EQ(sys_ipc_connect(BAD_HIGH, 4097), -EINVAL);
    CHECK_EQ(sys_ipc_connect(BAD_HIGH, 12), -EFAULT);
    CHECK_EQ(sys_ipc_connect(STRADDLE, 3), -EFAULT);
    CHECK_EQ(sys_ipc_connect(S("/conf/ns/svc/\xff")), -EINVAL);

    s9test_note("connect: a bound port that is gone -> EBADF");
    long g = sys_ipc_create_port(0);
    CHECK_EQ(sys_ipc_bind_port(g, S("/conf/ns/gone")), 0);
    CHECK_EQ(sys_handle_close(g), 0); /* the owner closed the last handle: destroyed */
    CHECK_EQ(sys_ipc_connect(S("/conf/ns/gone")), -EBADF);
    CHECK_EQ(sys_ipc_connect(S("/conf/ns/gone/deeper")), -EBADF);

    CHECK_EQ(sys_handle_close(c1), 0);
    CHECK_EQ(sys_handle_close(c2), 0);
}

static void test_unbind(void)
{
    s9test_note("SYS_IPC_UNBIND_PORT (206)");
    long p = sys_ipc_create_port(0);
    long idp = info_resource(p);
    CHECK_EQ(sys_ipc_bind_port(p, S("/conf/ns/u")), 0);
    long c = sys_ipc_connect(S("/conf/ns/u"));
    CHECK_GT(c, 0);
    CHECK_EQ(sys_ipc_unbind_port(S("/conf/ns/u")), 0);
    CHECK_EQ(sys_ipc_connect(S("/conf/ns/u")), -ENOENT);
    CHECK_EQ(sys_ipc_unbind_port(S("/conf/ns/u")), -EBADF); /* not bound any more */
    /* handles made before stay valid */
    IpcMessage m;
    memset(&m, 0, sizeof m);
    CHECK_EQ(sys_ipc_send(c, &m), 0);
    CHECK_EQ(sys_ipc_try_recv(p, &m), 0);
    /* the path can be bound again */
    CHECK_EQ(sys_ipc_bind_port(p, S("/conf/ns/u")), 0);
    CHECK_EQ(resolves_to(S("/conf/ns/u")), idp);
    /* unbinding a longer path uncovers the shorter prefix */
    long q = sys_ipc_create_port(0);
    long idq = info_resource(q);
    CHECK_EQ(sys_ipc_bind_port(q, S("/conf/ns/u/v")), 0);
    CHECK_EQ(resolves_to(S("/conf/ns/u/v/w")), idq);
    CHECK_EQ(sys_ipc_unbind_port(S("/conf/ns/u/v")), 0);
    CHECK_EQ(resolves_to(S("/conf/ns/u/v/w")), idp);

    s9test_note("unbind errors: same path checks as bind; not bound -> EBADF");
    CHECK_EQ(sys_ipc_unbind_port(NULL, 5), -EFAULT);
    CHECK_EQ(sys_ipc_unbind_port(FIXED, 0), -EFAULT);
    CHECK_EQ(sys_ipc_unbind_port(big, 4097), -EINVAL);
    CHECK_EQ(sys_ipc_unbind_port(BAD_HIGH, 4097), -EINVAL);
    CHECK_EQ(sys_ipc_unbind_port(BAD_HIGH, 8), -EFAULT);
    CHECK_EQ(sys_ipc_unbind_port(S("/conf/ns/\xff")), -EINVAL);
    CHECK_EQ(sys_ipc_unbind_port(S("/conf/ns/never")), -EBADF);
    CHECK_EQ(sys_ipc_unbind_port(S("/conf/ns/u/v")), -EBADF);
    /* upstream does not check the leading '/' on unbind: just not bound */
    CHECK_EQ(sys_ipc_unbind_port(S("conf/ns/u")), -EBADF);
    CHECK_EQ(resolves_to(S("/conf/ns/u")), idp); /* untouched */
}

int main(void)
{
    mypid = sys_getpid();
    test_bind_checks();
    test_bootstrap();
    test_connect();
    test_unbind();
    return s9test_done();
}
