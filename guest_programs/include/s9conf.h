/* Helpers shared by the conformance and process-model guests: payload
 * words of a message, fields of SYS_HANDLE_INFO, and connecting to a peer
 * that may not have bound its path yet. */
#ifndef S9CONF_H
#define S9CONF_H

#include "strat9.h"

/* Payload word i (8 bytes, unaligned-safe). */
static inline uint64_t get64(const IpcMessage *m, int i)
{
    uint64_t v;
    memcpy(&v, m->payload + 8 * i, 8);
    return v;
}

static inline void put64(IpcMessage *m, int i, uint64_t v) { memcpy(m->payload + 8 * i, &v, 8); }

/* One field of SYS_HANDLE_INFO, or the call's -errno. */
static inline long info_type(long h)
{
    HandleInfo hi = {0, 0, 0};
    long r = sys_handle_info(h, &hi);
    return r < 0 ? r : (long)hi.resource_type;
}

static inline long info_perms(long h)
{
    HandleInfo hi = {0, 0, 0};
    long r = sys_handle_info(h, &hi);
    return r < 0 ? r : (long)hi.permissions;
}

static inline long info_resource(long h)
{
    HandleInfo hi = {0, 0, 0};
    long r = sys_handle_info(h, &hi);
    return r < 0 ? r : (long)hi.resource;
}

/* SYS_IPC_CONNECT, yielding while the path is not bound yet (ENOENT), at
 * most 10000 times; the last result. */
static inline long connect_retry(const char *path, size_t len)
{
    long h = -ENOENT;
    for (int i = 0; i < 10000 && h == -ENOENT; i++) {
        h = sys_ipc_connect(path, len);
        if (h == -ENOENT)
            sys_proc_yield();
    }
    return h;
}

#endif
