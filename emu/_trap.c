/* The machine's hot paths in C: the syscall trap (Unicorn's UC_HOOK_INSN
 * callback for `syscall`), the block hook that ends slices, the virtual-TLB
 * fill, guest-memory copies for the kernel model, the trace's plain syscall
 * events (TraceSink) and the Ctrl-C watcher.
 *
 * A ctypes callback costs about 0.8 us per syscall (thunk, argument
 * conversion, ctypes calls for the registers): more than the kernel model's
 * own work for a cheap call. Here one C function reads the nine registers,
 * calls the Python handler once with Python ints, and writes rax, rcx, r11
 * back as the CPU would. Everything the kernel decides stays in Python.
 *
 * libunicorn is not linked: its functions come as addresses from the
 * ctypes library the Python binding already loaded, so this module works
 * with whichever libunicorn that binding uses.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

typedef int (*hook_add_fn)(void *uc, size_t *hh, int type, void *cb, void *user_data, uint64_t begin,
                           uint64_t end, ...);
typedef int (*hook_del_fn)(void *uc, size_t hh);
typedef int (*reg_batch_fn)(void *uc, int *ids, void **vals, int count);
typedef int (*emu_start_fn)(void *uc, uint64_t begin, uint64_t until, uint64_t timeout, size_t count);
typedef int (*emu_stop_fn)(void *uc);

#define NREGS 9 /* rax (number), rdi, rsi, rdx, r10, r8, r9 (arguments), rip, rflags */
#define NOUT 3  /* rax, rcx, r11 */
#define SYSCALL_INSN_SIZE 2
#define UC_HOOK_INSN 2  /* unicorn.h: UC_HOOK_INSN = 1 << 1 */
#define UC_HOOK_BLOCK 8 /* unicorn.h: UC_HOOK_BLOCK = 1 << 3 */
#define UC_HOOK_TLB_FILL (1 << 17)
enum { UC_MEM_READ = 16, UC_MEM_WRITE = 17, UC_MEM_FETCH = 18 }; /* unicorn.h uc_mem_type */
#define UC_PROT_ALL 7

typedef struct { /* unicorn.h uc_tlb_entry */
    uint64_t paddr;
    int perms;
} TlbEntry;

typedef struct {
    uint64_t start, end; /* [start, end) */
    int prot;            /* UC_PROT_* bits */
} Range;

/* ---- TraceSink: the trace output, with plain syscall events made in C ----
 *
 * A trace is mostly syscalls that completed at once and have no memory
 * data. Building their events in Python costs several times the syscall
 * itself, so the trap makes them here: the JSONL line, byte for byte what
 * the tracer's event path writes, and/or the event dict appended to the
 * tracer's list, equal to the one it builds (tests compare both). Every
 * other event comes from the Python tracer through write(), which also
 * flushes: only the C lines are ever buffered, never past the next Python
 * event or flush().
 */

#define NR_SLOTS 1024
#define MAX_ERRNO 4095 /* results -4095..-1 are errors (kernel_model.errno.decode_result) */

typedef struct {
    PyObject_HEAD
    PyObject *file;      /* a text stream with write(str), or None */
    PyObject *kernel;    /* its now_ns is each line's "t" */
    PyObject *deferred;  /* list: events the tracer raised during the current syscall */
    PyObject *events;    /* the tracer's list of event dicts, or None */
    PyObject *names[NR_SLOTS];          /* the syscall names, for event dicts */
    PyObject *err_objs[MAX_ERRNO + 1];  /* the errno names, for event dicts */
    char *heads[NR_SLOTS]; /* per syscall number: '"event": "syscall", "name": ..., "nr": N, "pid": ', or NULL */
    int nargs[NR_SLOTS];
    char *errnames[MAX_ERRNO + 1]; /* '"EPERM"'... or NULL */
    char *buf;
    size_t len, cap;
    unsigned long long seq;
    int in_syscall;
    PyObject *task;      /* the task whose pid and tid are cached */
    unsigned long long pid, tid;
    PyObject *pid_obj, *tid_obj;
} Sink;

static PyObject *str_now_ns, *str_tid, *str_process, *str_pid;
/* event dict keys and the "syscall" value */
static PyObject *k_event, *k_nr, *k_name, *k_args, *k_ret, *k_errno, *k_seq, *k_t, *v_syscall;

static int sink_reserve(Sink *s, size_t more)
{
    if (s->len + more <= s->cap)
        return 0;
    size_t cap = s->cap ? s->cap : 1 << 16;
    while (cap < s->len + more)
        cap *= 2;
    char *b = PyMem_Realloc(s->buf, cap);
    if (b == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    s->buf = b;
    s->cap = cap;
    return 0;
}

static int sink_flush(Sink *s)
{
    if (s->len == 0)
        return 0;
    if (s->file == NULL || s->file == Py_None) {
        s->len = 0;
        return 0;
    }
    PyObject *text = PyUnicode_DecodeASCII(s->buf, (Py_ssize_t)s->len, "strict");
    s->len = 0;
    if (text == NULL)
        return -1;
    PyObject *r = PyObject_CallMethod(s->file, "write", "O", text);
    Py_DECREF(text);
    if (r == NULL)
        return -1;
    Py_DECREF(r);
    return 0;
}

static char *put_str(char *p, const char *str)
{
    while (*str)
        *p++ = *str++;
    return p;
}

static char *put_u64(char *p, unsigned long long v)
{
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

static char *put_i64(char *p, long long v)
{
    if (v < 0) {
        *p++ = '-';
        return put_u64(p, 0ULL - (unsigned long long)v);
    }
    return put_u64(p, (unsigned long long)v);
}

static int sink_task(Sink *s, PyObject *task)
{
    if (task == s->task)
        return 0;
    PyObject *tid = PyObject_GetAttr(task, str_tid);
    PyObject *proc = tid ? PyObject_GetAttr(task, str_process) : NULL;
    PyObject *pid = proc ? PyObject_GetAttr(proc, str_pid) : NULL;
    int ok = pid != NULL;
    if (ok) {
        s->tid = PyLong_AsUnsignedLongLong(tid);
        s->pid = PyLong_AsUnsignedLongLong(pid);
        ok = !PyErr_Occurred();
    }
    Py_XDECREF(proc);
    if (!ok) {
        Py_XDECREF(tid);
        Py_XDECREF(pid);
        return -1;
    }
    Py_XSETREF(s->tid_obj, tid);
    Py_XSETREF(s->pid_obj, pid);
    Py_INCREF(task);
    Py_XSETREF(s->task, task);
    return 0;
}

/* The event dict the tracer would build for a completed plain syscall, in its key order. */
static int sink_event(Sink *s, unsigned long long nr, PyObject *const *objs, long long value, const char *err,
                      PyObject *now)
{
    int nargs = s->nargs[nr];
    PyObject *ev = PyDict_New();
    PyObject *args = PyList_New(nargs);
    PyObject *ret = PyLong_FromLongLong(value);
    PyObject *seq = PyLong_FromUnsignedLongLong(s->seq);
    int rc = -1;
    if (ev == NULL || args == NULL || ret == NULL || seq == NULL)
        goto out;
    for (int i = 0; i < nargs; i++) {
        Py_INCREF(objs[1 + i]);
        PyList_SET_ITEM(args, i, objs[1 + i]);
    }
    /* A list of ints can be in no reference cycle, nor can a dict of it, ints,
     * strings and None: untracked, a run's hundreds of thousands of kept events
     * do not make every garbage collection longer (half the cost of a kept
     * trace otherwise). */
    PyObject_GC_UnTrack(args);
    PyObject *errno_obj = err ? s->err_objs[-value] : Py_None;
    if (PyDict_SetItem(ev, k_event, v_syscall) < 0 || PyDict_SetItem(ev, str_pid, s->pid_obj) < 0 ||
        PyDict_SetItem(ev, str_tid, s->tid_obj) < 0 || PyDict_SetItem(ev, k_nr, objs[0]) < 0 ||
        PyDict_SetItem(ev, k_name, s->names[nr]) < 0 || PyDict_SetItem(ev, k_args, args) < 0 ||
        PyDict_SetItem(ev, k_ret, ret) < 0 || PyDict_SetItem(ev, k_errno, errno_obj) < 0 ||
        PyDict_SetItem(ev, k_seq, seq) < 0 || PyDict_SetItem(ev, k_t, now) < 0)
        goto out;
    if (PyObject_GC_IsTracked(ev))
        PyObject_GC_UnTrack(ev);
    rc = PyList_Append(s->events, ev);
out:
    Py_XDECREF(ev);
    Py_XDECREF(args);
    Py_XDECREF(ret);
    Py_XDECREF(seq);
    return rc;
}

/* A completed plain syscall (objs: the Python ints nr, a1..a6): its event dict when the tracer keeps
 * events, and its JSONL line when it writes a file: {"args": [...], "errno": ..., "event": "syscall",
 * "name": ..., "nr": N, "pid": P, "ret": R, "seq": S, "t": T, "tid": I} (keys sorted, as
 * json.dumps(sort_keys=True)). */
static int sink_plain(Sink *s, PyObject *task, unsigned long long nr, const uint64_t *args, PyObject *const *objs,
                      uint64_t raw)
{
    if (sink_task(s, task) < 0)
        return -1;
    long long value = (long long)raw;
    const char *err = value < 0 && value >= -MAX_ERRNO ? s->errnames[-value] : NULL; /* as decode_result */
    PyObject *now = PyObject_GetAttr(s->kernel, str_now_ns);
    if (now == NULL)
        return -1;
    ++s->seq;
    if (s->events != NULL && s->events != Py_None && sink_event(s, nr, objs, value, err, now) < 0) {
        Py_DECREF(now);
        return -1;
    }
    if (s->file == NULL || s->file == Py_None) {
        Py_DECREF(now);
        return 0;
    }
    /* The virtual clock is a Python int: past 2**64 (sleeps of centuries) it is printed by str(). */
    const char *t_text = NULL;
    PyObject *t_str = NULL;
    unsigned long long t = PyLong_AsUnsignedLongLong(now);
    if (t == (unsigned long long)-1 && PyErr_Occurred()) {
        PyErr_Clear();
        t_str = PyObject_Str(now);
        t_text = t_str ? PyUnicode_AsUTF8(t_str) : NULL;
        if (t_text == NULL || strlen(t_text) > 200) {
            Py_XDECREF(t_str);
            Py_DECREF(now);
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_OverflowError, "virtual clock too large to trace");
            return -1;
        }
    }
    Py_DECREF(now);
    if (sink_reserve(s, 1024) < 0) { /* the longest line: about 710 bytes */
        Py_XDECREF(t_str);
        return -1;
    }
    char *p = s->buf + s->len;
    p = put_str(p, "{\"args\": [");
    for (int i = 0; i < s->nargs[nr]; i++) {
        if (i)
            p = put_str(p, ", ");
        p = put_u64(p, args[i]);
    }
    p = put_str(p, "], \"errno\": ");
    p = put_str(p, err ? err : "null");
    p = put_str(p, ", ");
    p = put_str(p, s->heads[nr]);
    p = put_u64(p, s->pid);
    p = put_str(p, ", \"ret\": ");
    p = put_i64(p, value);
    p = put_str(p, ", \"seq\": ");
    p = put_u64(p, s->seq);
    p = put_str(p, ", \"t\": ");
    p = t_text ? put_str(p, t_text) : put_u64(p, t);
    Py_XDECREF(t_str);
    p = put_str(p, ", \"tid\": ");
    p = put_u64(p, s->tid);
    p = put_str(p, "}\n");
    s->len = (size_t)(p - s->buf);
    if (s->len > (1 << 16) - 1024)
        return sink_flush(s);
    return 0;
}

static char *dup_ascii(PyObject *str)
{
    Py_ssize_t n;
    const char *u = PyUnicode_AsUTF8AndSize(str, &n);
    if (u == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < n; i++)
        if ((unsigned char)u[i] >= 0x80 || u[i] == 0) {
            PyErr_SetString(PyExc_ValueError, "TraceSink texts must be ASCII");
            return NULL;
        }
    char *d = PyMem_Malloc((size_t)n + 1);
    if (d == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    memcpy(d, u, (size_t)n + 1);
    return d;
}

static void sink_free_tables(Sink *s)
{
    for (int i = 0; i < NR_SLOTS; i++) {
        PyMem_Free(s->heads[i]);
        s->heads[i] = NULL;
        Py_CLEAR(s->names[i]);
    }
    for (int i = 0; i <= MAX_ERRNO; i++) {
        PyMem_Free(s->errnames[i]);
        s->errnames[i] = NULL;
        Py_CLEAR(s->err_objs[i]);
    }
}

/* TraceSink(file, kernel, deferred, plain, errnames, events)
 * plain: {nr: (head, nargs, name)} for the syscalls the trap may trace itself;
 * errnames: {errno: "ENAME"}; events: the list the tracer keeps, or None. */
static int Sink_init(Sink *s, PyObject *args, PyObject *kw)
{
    PyObject *file, *kernel, *deferred, *plain, *errnames, *events, *key, *value;
    Py_ssize_t pos = 0;
    if (kw != NULL && PyDict_GET_SIZE(kw) != 0) {
        PyErr_SetString(PyExc_TypeError, "TraceSink takes no keyword arguments");
        return -1;
    }
    if (!PyArg_ParseTuple(args, "OOO!O!O!O", &file, &kernel, &PyList_Type, &deferred, &PyDict_Type, &plain,
                          &PyDict_Type, &errnames, &events))
        return -1;
    if (events != Py_None && !PyList_Check(events)) {
        PyErr_SetString(PyExc_TypeError, "events must be a list or None");
        return -1;
    }
    sink_free_tables(s);
    while (PyDict_Next(plain, &pos, &key, &value)) {
        long nr = PyLong_AsLong(key);
        PyObject *head, *name;
        int nargs;
        if (nr == -1 && PyErr_Occurred())
            return -1;
        if (nr < 0 || nr >= NR_SLOTS || !PyArg_ParseTuple(value, "UiU", &head, &nargs, &name) || nargs < 0 ||
            nargs > 6) {
            if (!PyErr_Occurred())
                PyErr_Format(PyExc_ValueError, "bad plain entry for %ld", nr);
            return -1;
        }
        if ((s->heads[nr] = dup_ascii(head)) == NULL || strlen(s->heads[nr]) > 200)
            return s->heads[nr] ? (PyErr_SetString(PyExc_ValueError, "head too long"), -1) : -1;
        s->nargs[nr] = nargs;
        Py_INCREF(name);
        s->names[nr] = name;
    }
    pos = 0;
    while (PyDict_Next(errnames, &pos, &key, &value)) {
        long e = PyLong_AsLong(key);
        if (e == -1 && PyErr_Occurred())
            return -1;
        if (e <= 0 || e > MAX_ERRNO || !PyUnicode_Check(value)) {
            PyErr_Format(PyExc_ValueError, "bad errno entry %ld", e);
            return -1;
        }
        char *plain_name = dup_ascii(value);
        if (plain_name == NULL)
            return -1;
        size_t n = strlen(plain_name);
        if (n == 0 || n > 40 || strpbrk(plain_name, "\"\\") != NULL) {
            PyMem_Free(plain_name);
            PyErr_SetString(PyExc_ValueError, "bad errno name");
            return -1;
        }
        s->errnames[e] = PyMem_Malloc(n + 3); /* the JSON string */
        if (s->errnames[e] == NULL) {
            PyMem_Free(plain_name);
            PyErr_NoMemory();
            return -1;
        }
        s->errnames[e][0] = '"';
        memcpy(s->errnames[e] + 1, plain_name, n);
        s->errnames[e][n + 1] = '"';
        s->errnames[e][n + 2] = 0;
        PyMem_Free(plain_name);
        Py_INCREF(value);
        s->err_objs[e] = value;
    }
    Py_INCREF(file);
    Py_XSETREF(s->file, file);
    Py_INCREF(kernel);
    Py_XSETREF(s->kernel, kernel);
    Py_INCREF(deferred);
    Py_XSETREF(s->deferred, deferred);
    Py_INCREF(events);
    Py_XSETREF(s->events, events);
    return 0;
}

/* write(line): a line from the Python tracer, after whatever the trap buffered; flushes. */
static PyObject *Sink_write(Sink *s, PyObject *line)
{
    if (!PyUnicode_Check(line)) {
        PyErr_SetString(PyExc_TypeError, "write() takes a str");
        return NULL;
    }
    if (sink_flush(s) < 0) /* the C lines first; Python's own line as it is (it may not be ASCII) */
        return NULL;
    if (s->file == NULL || s->file == Py_None)
        Py_RETURN_NONE;
    return PyObject_CallMethod(s->file, "write", "O", line);
}

static PyObject *Sink_flush(Sink *s, PyObject *unused)
{
    (void)unused;
    if (sink_flush(s) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static int Sink_traverse(Sink *s, visitproc visit, void *arg)
{
    Py_VISIT(s->events);
    Py_VISIT(s->pid_obj);
    Py_VISIT(s->tid_obj);
    Py_VISIT(s->file);
    Py_VISIT(s->kernel);
    Py_VISIT(s->deferred);
    Py_VISIT(s->task);
    return 0;
}

static int Sink_clear(Sink *s)
{
    Py_CLEAR(s->events);
    Py_CLEAR(s->pid_obj);
    Py_CLEAR(s->tid_obj);
    Py_CLEAR(s->file);
    Py_CLEAR(s->kernel);
    Py_CLEAR(s->deferred);
    Py_CLEAR(s->task);
    return 0;
}

static void Sink_dealloc(Sink *s)
{
    PyObject_GC_UnTrack(s);
    Sink_clear(s);
    sink_free_tables(s);
    PyMem_Free(s->buf);
    Py_TYPE(s)->tp_free((PyObject *)s);
}

static PyMethodDef Sink_methods[] = {
    {"write", (PyCFunction)Sink_write, METH_O, "write(line): after the buffered lines, then flush"},
    {"flush", (PyCFunction)Sink_flush, METH_NOARGS, "write the buffered lines to the file"},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef Sink_members[] = {
    {"seq", T_ULONGLONG, offsetof(Sink, seq), 0, "the last event's sequence number"},
    {"in_syscall", T_BOOL, offsetof(Sink, in_syscall), READONLY,
     "the trap is inside a syscall it may trace itself: events wait in `deferred`"},
    {NULL, 0, 0, 0, NULL},
};

static PyTypeObject SinkType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "emu._trap.TraceSink",
    .tp_doc = "The JSONL trace output; plain syscall lines are formatted in C.",
    .tp_basicsize = sizeof(Sink),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Sink_init,
    .tp_dealloc = (destructor)Sink_dealloc,
    .tp_traverse = (traverseproc)Sink_traverse,
    .tp_clear = (inquiry)Sink_clear,
    .tp_methods = Sink_methods,
    .tp_members = Sink_members,
};

/* ---- Trap ---- */

typedef struct {
    PyObject_HEAD
    void *uc;
    size_t hook, block_hook;
    int installed, counting_blocks;
    hook_add_fn hook_add;
    hook_del_fn hook_del;
    reg_batch_fn read_batch, write_batch;
    emu_start_fn emu_start;
    emu_stop_fn emu_stop;
    int in_ids[NREGS];
    int out_ids[NOUT];
    uint64_t in[NREGS];
    uint64_t out[NOUT];
    void *in_ptrs[NREGS];
    void *out_ptrs[NOUT];
    /* Python side */
    PyObject *task;      /* first argument of handler: the task whose registers are loaded */
    PyObject *handler;   /* handler(task, nr, a1..a6) -> int (raw rax) or anything else */
    PyObject *on_other;  /* on_other(result): a non-int result; the run stops after it */
    PyObject *on_budget; /* on_budget() -> bool: stop now? (nsys reached stop_at, or exact) */
    PyObject *on_error;  /* on_error(exception): a bug in the handler; the run stops */
    PyObject *owner;     /* the binding's Uc: kept open until the hook is removed */
    /* tracing: the sink writes plain lines itself; other syscalls go to trace_full(task, nr, a1..a6),
     * and a plain one whose result needs events to trace_finish(task, nr, a1..a6, result) */
    PyObject *sink;
    PyObject *trace_full, *trace_finish;
    unsigned long long nsys, stop_at;
    int exact;
    int release_gil;          /* run() lets other Python threads run while the guest does */
    PyThreadState *saved;     /* while run() has released the GIL */
    int running;              /* inside run() */
    int interrupted;          /* Ctrl-C stopped the run (watch_signals) */
    /* Preemption by translation blocks: the block hook stops the run when
     * blocks_left falls to 0 (0: no limit). */
    long long blocks_left;
    int preempted;
    /* The virtual TLB: filled from the address space's regions (track_regions). */
    Range *regions;
    Py_ssize_t nregions;
    size_t fill_hook;
    int filling;
} Trap;

static int Trap_clear(Trap *self);

/* Ctrl-C while a guest computes without syscalls: Python's own SIGINT
 * handling waits for the interpreter, which waits for uc_emu_start. Python
 * writes every signal's number to its wakeup fd (signal.set_wakeup_fd); a
 * C thread reading that pipe stops the running engine on SIGINT, so the
 * interpreter gets control back and raises KeyboardInterrupt. The run ends
 * there: an asynchronous stop may cut an instruction (unicorn #1355). */
static pthread_mutex_t g_running_lock = PTHREAD_MUTEX_INITIALIZER;
static Trap *g_running;
static int g_watching;

static void *watch_main(void *arg)
{
    int fd = (int)(intptr_t)arg;
    unsigned char buf[64];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return NULL;
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] != SIGINT)
                continue;
            pthread_mutex_lock(&g_running_lock);
            if (g_running != NULL) {
                g_running->interrupted = 1;
                g_running->emu_stop(g_running->uc);
            }
            pthread_mutex_unlock(&g_running_lock);
        }
    }
}

/* watch_signals(fd): start the thread that reads signal numbers from fd (once per process). */
static PyObject *mod_watch_signals(PyObject *m, PyObject *arg)
{
    (void)m;
    int fd = (int)PyLong_AsLong(arg);
    if (fd == -1 && PyErr_Occurred())
        return NULL;
    if (g_watching)
        Py_RETURN_FALSE;
    pthread_t th;
    int err = pthread_create(&th, NULL, watch_main, (void *)(intptr_t)fd);
    if (err) {
        errno = err;
        return PyErr_SetFromErrno(PyExc_OSError);
    }
    pthread_detach(th);
    g_watching = 1;
    Py_RETURN_TRUE;
}

static void stop_with_error(Trap *t)
{
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb != NULL && value != NULL)
        PyException_SetTraceback(value, tb);
    PyObject *r = t->on_error ? PyObject_CallOneArg(t->on_error, value ? value : Py_None) : NULL;
    if (r == NULL)
        PyErr_WriteUnraisable(t->on_error ? t->on_error : Py_None);
    Py_XDECREF(r);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    t->emu_stop(t->uc);
}

static void on_syscall(void *uc, void *user_data)
{
    Trap *t = (Trap *)user_data;
    (void)uc;
    t->read_batch(t->uc, t->in_ids, t->in_ptrs, NREGS);
    t->out[1] = t->in[7] + SYSCALL_INSN_SIZE;
    t->out[2] = t->in[8];
    if (t->saved != NULL)
        PyEval_RestoreThread(t->saved);

    PyObject *args[9];
    args[0] = t->task; /* held for the call: a handler may load another task */
    Py_INCREF(args[0]);
    int n = 1;
    for (; n < 8; n++) {
        args[n] = PyLong_FromUnsignedLongLong(t->in[n - 1]);
        if (args[n] == NULL)
            break;
    }
    PyObject *r = NULL;
    uint64_t nr = t->in[0];
    if (n < 8) {
        /* out of memory: r stays NULL */
    } else if (t->sink == NULL || t->sink == Py_None) {
        r = PyObject_Vectorcall(t->handler, args, 8, NULL);
    } else if (nr < NR_SLOTS && ((Sink *)t->sink)->heads[nr] != NULL) {
        Sink *s = (Sink *)t->sink;
        s->in_syscall = 1;
        r = PyObject_Vectorcall(t->handler, args, 8, NULL);
        s->in_syscall = 0;
        if (r != NULL && PyLong_CheckExact(r) && PyList_GET_SIZE(s->deferred) == 0) {
            if (sink_plain(s, args[0], nr, t->in + 1, args + 1, PyLong_AsUnsignedLongLongMask(r)) < 0)
                Py_CLEAR(r);
        } else if (r != NULL) {
            args[8] = r;
            PyObject *r2 = PyObject_Vectorcall(t->trace_finish, args, 9, NULL);
            Py_DECREF(r);
            r = r2;
        }
    } else {
        r = PyObject_Vectorcall(t->trace_full, args, 8, NULL);
    }
    for (int i = 0; i < n; i++)
        Py_DECREF(args[i]);

    if (r == NULL) {
        stop_with_error(t);
    } else if (PyLong_CheckExact(r)) {
        t->out[0] = PyLong_AsUnsignedLongLongMask(r);
        Py_DECREF(r);
        t->nsys++;
        t->write_batch(t->uc, t->out_ids, t->out_ptrs, NOUT);
        if (t->nsys >= t->stop_at || t->exact) {
            PyObject *stop = PyObject_CallNoArgs(t->on_budget);
            int yes = stop == NULL ? -1 : PyObject_IsTrue(stop);
            Py_XDECREF(stop);
            if (yes < 0)
                stop_with_error(t);
            else if (yes)
                t->emu_stop(t->uc);
        }
    } else {
        /* blocked, yielded or exited: rax is written when the call completes */
        t->nsys++;
        t->write_batch(t->uc, t->out_ids + 1, t->out_ptrs + 1, NOUT - 1);
        PyObject *x = PyObject_CallOneArg(t->on_other, r);
        Py_DECREF(r);
        if (x == NULL)
            stop_with_error(t);
        else {
            Py_DECREF(x);
            t->emu_stop(t->uc);
        }
    }
    if (t->saved != NULL)
        t->saved = PyEval_SaveThread();
}

/* UC_HOOK_BLOCK: called before a translation block's first instruction and
 * before Unicorn checks for a stop request there, so stopping here ends the
 * run between two blocks, never inside an instruction (an asynchronous
 * uc_emu_stop can land after a memory access and re-run a read-modify-write:
 * unicorn issue #1355). Which blocks run depends on the guest only. */
static void on_block(void *uc, uint64_t address, uint32_t size, void *user_data)
{
    Trap *t = (Trap *)user_data;
    (void)uc;
    (void)address;
    (void)size;
    if (t->blocks_left > 0 && --t->blocks_left == 0) {
        t->preempted = 1;
        t->emu_stop(t->uc);
    }
}

/* UC_HOOK_TLB_FILL: the identity mapping with the page's region protection
 * when it allows the access (so a writable page is not executable in the
 * TLB, and stores stay on Unicorn's fast path); otherwise every right, so
 * that Unicorn's own region check raises the fault and the fault hooks
 * report it, exactly as without a TLB hook. Called on every TLB miss, and
 * at every uc_emu_start for the `until` page: in C, no Python call. */
static bool on_tlb_fill(void *uc, uint64_t vaddr, int access, TlbEntry *e, void *user_data)
{
    Trap *t = (Trap *)user_data;
    (void)uc;
    int need = access == UC_MEM_READ ? 1 : access == UC_MEM_WRITE ? 2 : access == UC_MEM_FETCH ? 4 : 0;
    Py_ssize_t lo = 0, hi = t->nregions;
    while (lo < hi) {
        Py_ssize_t mid = lo + (hi - lo) / 2;
        if (t->regions[mid].end <= vaddr)
            lo = mid + 1;
        else
            hi = mid;
    }
    int prot = lo < t->nregions && t->regions[lo].start <= vaddr ? t->regions[lo].prot : 0;
    e->paddr = vaddr;
    e->perms = prot & need ? prot : UC_PROT_ALL;
    return true;
}

static int ids_from(PyObject *seq, int *out, int n, const char *what)
{
    PyObject *fast = PySequence_Fast(seq, what);
    if (fast == NULL)
        return -1;
    if (PySequence_Fast_GET_SIZE(fast) != n) {
        PyErr_Format(PyExc_ValueError, "%s: expected %d register ids", what, n);
        Py_DECREF(fast);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        out[i] = (int)PyLong_AsLong(PySequence_Fast_GET_ITEM(fast, i));
        if (out[i] == -1 && PyErr_Occurred()) {
            Py_DECREF(fast);
            return -1;
        }
    }
    Py_DECREF(fast);
    return 0;
}

/* Trap(owner, uc, functions, in_ids, out_ids, syscall_insn, handler, on_other, on_budget, on_error)
 * owner: the binding's Uc object; uc: its uc_engine address; functions: addresses of uc_hook_add, uc_hook_del,
 * uc_reg_read_batch, uc_reg_write_batch, uc_emu_start, uc_emu_stop. */
static int Trap_init(Trap *self, PyObject *args, PyObject *kw)
{
    if (kw != NULL && PyDict_GET_SIZE(kw) != 0) {
        PyErr_SetString(PyExc_TypeError, "Trap takes no keyword arguments");
        return -1;
    }
    unsigned long long uc, fadd, fdel, frd, fwr, fstart, fstop;
    PyObject *in_ids, *out_ids, *handler, *on_other, *on_budget, *on_error;
    int insn;
    if (self->installed) {
        PyErr_SetString(PyExc_RuntimeError, "Trap is already installed");
        return -1;
    }
    PyObject *owner;
    if (!PyArg_ParseTuple(args, "OK(KKKKKK)OOiOOOO", &owner, &uc, &fadd, &fdel, &frd, &fwr, &fstart, &fstop, &in_ids,
                          &out_ids, &insn, &handler, &on_other, &on_budget, &on_error))
        return -1;
    if (ids_from(in_ids, self->in_ids, NREGS, "in_ids") < 0 || ids_from(out_ids, self->out_ids, NOUT, "out_ids") < 0)
        return -1;
    if (!uc || !fadd || !fdel || !frd || !fwr || !fstart || !fstop) {
        PyErr_SetString(PyExc_ValueError, "Trap: null engine or function address");
        return -1;
    }
    if (!PyCallable_Check(handler) || !PyCallable_Check(on_other) || !PyCallable_Check(on_budget) ||
        !PyCallable_Check(on_error)) {
        PyErr_SetString(PyExc_TypeError, "Trap: handler, on_other, on_budget and on_error must be callable");
        return -1;
    }
    self->uc = (void *)(uintptr_t)uc;
    self->hook_add = (hook_add_fn)(uintptr_t)fadd;
    self->hook_del = (hook_del_fn)(uintptr_t)fdel;
    self->read_batch = (reg_batch_fn)(uintptr_t)frd;
    self->write_batch = (reg_batch_fn)(uintptr_t)fwr;
    self->emu_start = (emu_start_fn)(uintptr_t)fstart;
    self->emu_stop = (emu_stop_fn)(uintptr_t)fstop;
    for (int i = 0; i < NREGS; i++)
        self->in_ptrs[i] = &self->in[i];
    for (int i = 0; i < NOUT; i++)
        self->out_ptrs[i] = &self->out[i];
    Py_INCREF(owner);
    Py_XSETREF(self->owner, owner);
    Py_INCREF(Py_None);
    Py_XSETREF(self->task, Py_None);
    Py_INCREF(handler);
    Py_XSETREF(self->handler, handler);
    Py_INCREF(on_other);
    Py_XSETREF(self->on_other, on_other);
    Py_INCREF(on_budget);
    Py_XSETREF(self->on_budget, on_budget);
    Py_INCREF(on_error);
    Py_XSETREF(self->on_error, on_error);
    int err = ((hook_add_fn)(uintptr_t)fadd)(self->uc, &self->hook, UC_HOOK_INSN, (void *)on_syscall, self,
                                             (uint64_t)1, (uint64_t)0, insn);
    if (err) {
        PyErr_Format(PyExc_RuntimeError, "uc_hook_add failed: %d", err);
        return -1;
    }
    self->installed = 1;
    return 0;
}

/* run(until, count) -> uc_err: uc_emu_start from the current rip, with no time limit. */
static PyObject *Trap_run(Trap *self, PyObject *args)
{
    unsigned long long begin, until, count;
    if (!PyArg_ParseTuple(args, "KK", &until, &count))
        return NULL;
    if (!self->installed) {
        PyErr_SetString(PyExc_RuntimeError, "Trap is not installed");
        return NULL;
    }
    void *rip_ptr = &begin;
    if (self->read_batch(self->uc, &self->in_ids[7], &rip_ptr, 1)) {
        PyErr_SetString(PyExc_RuntimeError, "uc_reg_read_batch (rip) failed");
        return NULL;
    }
    if (self->running) {
        PyErr_SetString(PyExc_RuntimeError, "Trap.run is not reentrant");
        return NULL;
    }
    int err;
    Py_INCREF(self); /* a handler may drop the last other reference */
    self->running = 1;
    self->interrupted = 0;
    pthread_mutex_lock(&g_running_lock);
    if (g_running == NULL)
        g_running = self;
    pthread_mutex_unlock(&g_running_lock);
    if (self->release_gil) {
        self->saved = PyEval_SaveThread();
        err = self->emu_start(self->uc, begin, until, 0, (size_t)count);
        PyEval_RestoreThread(self->saved);
        self->saved = NULL;
    } else {
        err = self->emu_start(self->uc, begin, until, 0, (size_t)count);
    }
    pthread_mutex_lock(&g_running_lock);
    if (g_running == self)
        g_running = NULL;
    pthread_mutex_unlock(&g_running_lock);
    self->running = 0;
    Py_DECREF(self);
    return PyLong_FromLong(err);
}

/* Remove every hook this trap added to its engine (still open: the trap holds its Uc). */
static void trap_remove_hooks(Trap *self)
{
    if (self->installed && self->uc != NULL) {
        self->hook_del(self->uc, self->hook);
        if (self->counting_blocks)
            self->hook_del(self->uc, self->block_hook);
        if (self->filling)
            self->hook_del(self->uc, self->fill_hook);
    }
    self->installed = self->counting_blocks = self->filling = 0;
}

/* count_blocks(): install the block hook (once). Blocks translated before it do not call
 * it: the caller flushes the translation cache. */
static PyObject *Trap_count_blocks(Trap *self, PyObject *unused)
{
    (void)unused;
    if (!self->installed) {
        PyErr_SetString(PyExc_RuntimeError, "Trap is not installed");
        return NULL;
    }
    if (!self->counting_blocks) {
        int err = self->hook_add(self->uc, &self->block_hook, UC_HOOK_BLOCK, (void *)on_block, self, (uint64_t)1,
                                 (uint64_t)0);
        if (err) {
            PyErr_Format(PyExc_RuntimeError, "uc_hook_add (block) failed: %d", err);
            return NULL;
        }
        self->counting_blocks = 1;
    }
    Py_RETURN_NONE;
}

/* uncount_blocks(): remove the block hook. Unicorn invalidates the blocks
 * translated with its call (uc_hook_del -> hook_invalidate_region). */
static PyObject *Trap_uncount_blocks(Trap *self, PyObject *unused)
{
    (void)unused;
    if (self->installed && self->counting_blocks) {
        self->hook_del(self->uc, self->block_hook);
        self->counting_blocks = 0;
    }
    self->blocks_left = 0;
    Py_RETURN_NONE;
}

/* track_regions([(start, end, prot), ...]): the regions the TLB is filled from,
 * sorted and disjoint; installs the TLB fill hook on first use. */
static PyObject *Trap_track_regions(Trap *self, PyObject *seq)
{
    if (!self->installed) {
        PyErr_SetString(PyExc_RuntimeError, "Trap is not installed");
        return NULL;
    }
    PyObject *fast = PySequence_Fast(seq, "track_regions takes a sequence of (start, end, prot)");
    if (fast == NULL)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    Range *r = PyMem_Calloc(n ? (size_t)n : 1, sizeof(Range));
    if (r == NULL) {
        Py_DECREF(fast);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned long long start, end;
        int prot;
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(fast, i), "KKi", &start, &end, &prot) || start >= end ||
            (i > 0 && start < r[i - 1].end)) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "regions must be non-empty, sorted and disjoint");
            PyMem_Free(r);
            Py_DECREF(fast);
            return NULL;
        }
        r[i].start = start;
        r[i].end = end;
        r[i].prot = prot & UC_PROT_ALL;
    }
    Py_DECREF(fast);
    if (!self->filling) {
        int err = self->hook_add(self->uc, &self->fill_hook, UC_HOOK_TLB_FILL, (void *)on_tlb_fill, self,
                                 (uint64_t)1, (uint64_t)0);
        if (err) {
            PyMem_Free(r);
            PyErr_Format(PyExc_RuntimeError, "uc_hook_add (TLB fill) failed: %d", err);
            return NULL;
        }
        self->filling = 1;
    }
    PyMem_Free(self->regions);
    self->regions = r;
    self->nregions = n;
    Py_RETURN_NONE;
}

static PyObject *Trap_set_rax(Trap *self, PyObject *value)
{
    uint64_t v = PyLong_AsUnsignedLongLongMask(value);
    void *p = &v;
    if (v == (uint64_t)-1 && PyErr_Occurred())
        return NULL;
    if (!self->installed) {
        PyErr_SetString(PyExc_RuntimeError, "Trap is not installed");
        return NULL;
    }
    if (self->write_batch(self->uc, &self->out_ids[0], &p, 1)) {
        PyErr_SetString(PyExc_RuntimeError, "uc_reg_write_batch (rax) failed");
        return NULL;
    }
    Py_RETURN_NONE;
}

/* close(): remove the hook and let go of the engine (the caller closes it). */
static PyObject *Trap_close(Trap *self, PyObject *unused)
{
    (void)unused;
    if (self->running) {
        PyErr_SetString(PyExc_RuntimeError, "Trap.close inside run");
        return NULL;
    }
    trap_remove_hooks(self);
    self->uc = NULL;
    Trap_clear(self);
    Py_CLEAR(self->owner);
    Py_RETURN_NONE;
}

static PyObject *Trap_syscall_return(Trap *self, PyObject *unused)
{
    (void)unused;
    return Py_BuildValue("(KK)", (unsigned long long)self->out[1], (unsigned long long)self->out[2]);
}

static PyObject *Trap_trace_with(Trap *self, PyObject *args)
{
    PyObject *sink, *full = Py_None, *finish = Py_None;
    if (!PyArg_ParseTuple(args, "O|OO", &sink, &full, &finish))
        return NULL;
    if (sink != Py_None && (!PyObject_TypeCheck(sink, &SinkType) || !PyCallable_Check(full) ||
                            !PyCallable_Check(finish))) {
        PyErr_SetString(PyExc_TypeError, "trace_with(TraceSink, callable, callable) or trace_with(None)");
        return NULL;
    }
    if (sink == Py_None)
        full = finish = Py_None;
    Py_INCREF(sink);
    Py_XSETREF(self->sink, sink);
    Py_INCREF(full);
    Py_XSETREF(self->trace_full, full);
    Py_INCREF(finish);
    Py_XSETREF(self->trace_finish, finish);
    Py_RETURN_NONE;
}

static int Trap_traverse(Trap *self, visitproc visit, void *arg)
{
    Py_VISIT(self->sink);
    Py_VISIT(self->trace_full);
    Py_VISIT(self->trace_finish);
    Py_VISIT(self->task);
    Py_VISIT(self->handler);
    Py_VISIT(self->on_other);
    Py_VISIT(self->on_budget);
    Py_VISIT(self->on_error);
    return 0;
}

static int Trap_clear(Trap *self)
{
    Py_CLEAR(self->sink);
    Py_CLEAR(self->trace_full);
    Py_CLEAR(self->trace_finish);
    Py_CLEAR(self->task);
    Py_CLEAR(self->handler);
    Py_CLEAR(self->on_other);
    Py_CLEAR(self->on_budget);
    Py_CLEAR(self->on_error);
    return 0;
}

static void Trap_dealloc(Trap *self)
{
    PyObject_GC_UnTrack(self);
    trap_remove_hooks(self); /* Unicorn must never call a freed trap */
    PyMem_Free(self->regions);
    Trap_clear(self);
    Py_CLEAR(self->owner); /* not part of any cycle: the Uc never refers back to the trap */
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef Trap_methods[] = {
    {"run", (PyCFunction)Trap_run, METH_VARARGS, "run(until, count) -> uc_err, from the current rip"},
    {"set_rax", (PyCFunction)Trap_set_rax, METH_O, "set_rax(value): a completed call's result"},
    {"count_blocks", (PyCFunction)Trap_count_blocks, METH_NOARGS,
     "install the block hook that preempts after blocks_left translation blocks"},
    {"uncount_blocks", (PyCFunction)Trap_uncount_blocks, METH_NOARGS, "remove the block hook"},
    {"track_regions", (PyCFunction)Trap_track_regions, METH_O,
     "track_regions([(start, end, prot), ...]): fill the virtual TLB from these regions"},
    {"close", (PyCFunction)Trap_close, METH_NOARGS, "remove the hook and let go of the engine"},
    {"syscall_return", (PyCFunction)Trap_syscall_return, METH_NOARGS,
     "(rip after the last syscall, rflags at it): the rcx and r11 it returns with"},
    {"trace_with", (PyCFunction)Trap_trace_with, METH_VARARGS,
     "trace_with(sink, full, finish): trace through a TraceSink (None: stop tracing)"},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef Trap_members[] = {
    {"task", T_OBJECT, offsetof(Trap, task), 0, "the task whose registers are loaded"},
    {"nsys", T_ULONGLONG, offsetof(Trap, nsys), 0, "syscalls trapped"},
    {"stop_at", T_ULONGLONG, offsetof(Trap, stop_at), 0, "call on_budget once nsys reaches this"},
    {"exact", T_BOOL, offsetof(Trap, exact), 0, "call on_budget after every syscall"},
    {"blocks_left", T_LONGLONG, offsetof(Trap, blocks_left), 0,
     "translation blocks until the block hook stops the run (0: no limit)"},
    {"preempted", T_BOOL, offsetof(Trap, preempted), 0, "the block hook stopped the run"},
    {"interrupted", T_BOOL, offsetof(Trap, interrupted), READONLY, "Ctrl-C stopped the run"},
    {"release_gil", T_BOOL, offsetof(Trap, release_gil), 0, "release the GIL while the guest runs"},
    {NULL, 0, 0, 0, NULL},
};

static PyTypeObject TrapType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "emu._trap.Trap",
    .tp_doc = "The syscall hook of one Unicorn engine, in C.",
    .tp_basicsize = sizeof(Trap),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Trap_init,
    .tp_dealloc = (destructor)Trap_dealloc,
    .tp_traverse = (traverseproc)Trap_traverse,
    .tp_clear = (inquiry)Trap_clear,
    .tp_methods = Trap_methods,
    .tp_members = Trap_members,
};

/* ---- guest memory for the kernel model: uc_mem_read / uc_mem_write without ctypes ---- */

typedef int (*mem_fn)(void *uc, uint64_t address, void *bytes, uint64_t size);
static mem_fn g_mem_read, g_mem_write;

/* use_memory_functions(uc_mem_read address, uc_mem_write address) */
static PyObject *mod_use_memory_functions(PyObject *m, PyObject *args)
{
    unsigned long long rd, wr;
    (void)m;
    if (!PyArg_ParseTuple(args, "KK", &rd, &wr))
        return NULL;
    if (!rd || !wr) {
        PyErr_SetString(PyExc_ValueError, "null function address");
        return NULL;
    }
    g_mem_read = (mem_fn)(uintptr_t)rd;
    g_mem_write = (mem_fn)(uintptr_t)wr;
    Py_RETURN_NONE;
}

static int engine_arg(PyObject *const *args, Py_ssize_t nargs, Py_ssize_t want, void **uc, uint64_t *addr)
{
    if (nargs != want) {
        PyErr_Format(PyExc_TypeError, "expected %zd arguments, got %zd", want, nargs);
        return -1;
    }
    if (g_mem_read == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "use_memory_functions() was not called");
        return -1;
    }
    unsigned long long u = PyLong_AsUnsignedLongLong(args[0]);
    if (u == (unsigned long long)-1 && PyErr_Occurred())
        return -1;
    if (u == 0) {
        PyErr_SetString(PyExc_ValueError, "null engine");
        return -1;
    }
    *addr = PyLong_AsUnsignedLongLong(args[1]);
    if (*addr == (uint64_t)-1 && PyErr_Occurred())
        return -1;
    *uc = (void *)(uintptr_t)u;
    return 0;
}

/* mem_read(engine, address, size) -> bytes, or None when Unicorn refuses */
static PyObject *mod_mem_read(PyObject *m, PyObject *const *args, Py_ssize_t nargs)
{
    void *uc;
    uint64_t addr;
    (void)m;
    if (engine_arg(args, nargs, 3, &uc, &addr) < 0)
        return NULL;
    Py_ssize_t size = PyLong_AsSsize_t(args[2]);
    if (size < 0) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "negative size");
        return NULL;
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, size);
    if (out == NULL)
        return NULL;
    if (size && g_mem_read(uc, addr, PyBytes_AS_STRING(out), (uint64_t)size)) {
        Py_DECREF(out);
        Py_RETURN_NONE;
    }
    return out;
}

/* mem_write(engine, address, data) -> True, or False when Unicorn refuses */
static PyObject *mod_mem_write(PyObject *m, PyObject *const *args, Py_ssize_t nargs)
{
    void *uc;
    uint64_t addr;
    Py_buffer view;
    (void)m;
    if (engine_arg(args, nargs, 3, &uc, &addr) < 0)
        return NULL;
    if (PyObject_GetBuffer(args[2], &view, PyBUF_SIMPLE) < 0)
        return NULL;
    int err = view.len ? g_mem_write(uc, addr, view.buf, (uint64_t)view.len) : 0;
    PyBuffer_Release(&view);
    return PyBool_FromLong(err == 0);
}

static PyMethodDef module_methods[] = {
    {"watch_signals", (PyCFunction)mod_watch_signals, METH_O,
     "watch_signals(fd): stop the running engine when SIGINT's number arrives on fd (Python's wakeup fd)"},
    {"use_memory_functions", (PyCFunction)mod_use_memory_functions, METH_VARARGS,
     "use_memory_functions(uc_mem_read, uc_mem_write): their addresses in the loaded libunicorn"},
    {"mem_read", (PyCFunction)(void (*)(void))mod_mem_read, METH_FASTCALL,
     "mem_read(engine, address, size) -> bytes, or None when Unicorn refuses"},
    {"mem_write", (PyCFunction)(void (*)(void))mod_mem_write, METH_FASTCALL,
     "mem_write(engine, address, data) -> bool"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef trap_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "emu._trap",
    .m_doc = "The syscall hook of strat9-emu, in C.",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC PyInit__trap(void)
{
    if (PyType_Ready(&TrapType) < 0 || PyType_Ready(&SinkType) < 0)
        return NULL;
    if ((str_now_ns = PyUnicode_InternFromString("now_ns")) == NULL ||
        (str_tid = PyUnicode_InternFromString("tid")) == NULL ||
        (str_process = PyUnicode_InternFromString("process")) == NULL ||
        (str_pid = PyUnicode_InternFromString("pid")) == NULL ||
        (k_event = PyUnicode_InternFromString("event")) == NULL || (k_nr = PyUnicode_InternFromString("nr")) == NULL ||
        (k_name = PyUnicode_InternFromString("name")) == NULL || (k_args = PyUnicode_InternFromString("args")) == NULL ||
        (k_ret = PyUnicode_InternFromString("ret")) == NULL || (k_errno = PyUnicode_InternFromString("errno")) == NULL ||
        (k_seq = PyUnicode_InternFromString("seq")) == NULL || (k_t = PyUnicode_InternFromString("t")) == NULL ||
        (v_syscall = PyUnicode_InternFromString("syscall")) == NULL)
        return NULL;
    PyObject *m = PyModule_Create(&trap_module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&TrapType);
    if (PyModule_AddObject(m, "Trap", (PyObject *)&TrapType) < 0) {
        Py_DECREF(&TrapType);
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&SinkType);
    if (PyModule_AddObject(m, "TraceSink", (PyObject *)&SinkType) < 0) {
        Py_DECREF(&SinkType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
