/* bench/linux/shim.c: the library half of the Linux shim (see strat9.h
 * in this directory). Freestanding: no libc. */
#include "strat9.h"

void *memcpy(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

long s9_atol(const char *s)
{
    int neg = 0;
    unsigned long v = 0;
    if (*s == '-' || *s == '+')
        neg = *s++ == '-';
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (unsigned long)(*s++ - '0');
    return neg ? (long)(0UL - v) : (long)v;
}

struct out {
    char buf[512];
    size_t len;
};

static void put(struct out *o, char c)
{
    if (o->len < sizeof o->buf)
        o->buf[o->len++] = c;
}

/* One converted field: `digits` (already in order) padded to `width`. */
static void field(struct out *o, const char *s, size_t n, int width, int left, char pad)
{
    size_t w = width > 0 ? (size_t)width : 0;
    if (!left && pad == '0' && n > 0 && s[0] == '-') {
        put(o, '-');
        s++, n--, w = w ? w - 1 : 0;
    }
    if (!left)
        for (size_t i = n; i < w; i++)
            put(o, pad);
    for (size_t i = 0; i < n; i++)
        put(o, s[i]);
    if (left)
        for (size_t i = n; i < w; i++)
            put(o, ' ');
}

long s9_printf(const char *fmt, ...)
{
    struct out o;
    o.len = 0;
    va_list ap;
    va_start(ap, fmt);
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            put(&o, *p);
            continue;
        }
        p++;
        int left = 0, width = 0, is_long = 0;
        char pad = ' ';
        for (; *p == '-' || *p == '0'; p++) {
            if (*p == '-')
                left = 1;
            else
                pad = '0';
        }
        for (; *p >= '0' && *p <= '9'; p++)
            width = width * 10 + (*p - '0');
        for (; *p == 'l' || *p == 'z'; p++)
            is_long = 1;
        char tmp[24];
        size_t n = 0;
        switch (*p) {
        case 'd':
        case 'i':
        case 'u':
        case 'x': {
            unsigned long v;
            int neg = 0;
            if (*p == 'd' || *p == 'i') {
                long s = is_long ? va_arg(ap, long) : va_arg(ap, int);
                neg = s < 0;
                v = neg ? 0UL - (unsigned long)s : (unsigned long)s;
            } else {
                v = is_long ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int);
            }
            unsigned base = *p == 'x' ? 16 : 10;
            char rev[24];
            size_t r = 0;
            do {
                rev[r++] = "0123456789abcdef"[v % base];
                v /= base;
            } while (v);
            if (neg)
                tmp[n++] = '-';
            while (r)
                tmp[n++] = rev[--r];
            field(&o, tmp, n, width, left, pad);
            break;
        }
        case 'c':
            tmp[0] = (char)va_arg(ap, int);
            field(&o, tmp, 1, width, left, ' ');
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            field(&o, s, strlen(s), width, left, ' ');
            break;
        }
        case '%':
            put(&o, '%');
            break;
        default: /* unknown: copy it through */
            put(&o, '%');
            if (*p)
                put(&o, *p);
            else
                p--;
        }
    }
    va_end(ap);
    return sys_write(1, o.buf, o.len);
}
