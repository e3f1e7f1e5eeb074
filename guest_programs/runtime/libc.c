/*
 * libc.c: the small freestanding library of Strat9 guest programs.
 *
 * Only what guests and the compiler need: the mem and str functions that
 * gcc and clang emit calls to even with -ffreestanding, errno names, a
 * printf subset that issues one SYS_WRITE per call, and a few helpers.
 */
#include "strat9.h"

/* ------------------------------------------------------------------------ */
/* mem and str. Byte loops on purpose: guests are tiny, and the Makefile    */
/* stops gcc from turning these loops back into calls to themselves.        */
/* ------------------------------------------------------------------------ */

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

void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if ((uintptr_t)d - (uintptr_t)s >= n) {
        /* dst before src, or no overlap: forward copy is safe */
        while (n--)
            *d++ = *s++;
    } else {
        while (n--)
            d[n] = s[n];
    }
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x < *y ? -1 : 1;
    return 0;
}

size_t strlen(const char *s)
{
    const char *p = s;
    while (*p)
        p++;
    return (size_t)(p - s);
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        if (!*a)
            break;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* errno names, from the generated X-macro so the list follows the model.   */
/* ------------------------------------------------------------------------ */

static const struct {
    long value;
    const char *name;
} errno_table[] = {
#define X(e) {e, #e},
    STRAT9_ERRNO_NAMES
#undef X
};

const char *errno_name(long err)
{
    if (err == 0)
        return "OK";
    if (err < 0)
        err = -err;
    for (size_t i = 0; i < sizeof errno_table / sizeof errno_table[0]; i++)
        if (errno_table[i].value == err)
            return errno_table[i].name;
    return "E?";
}

/* ------------------------------------------------------------------------ */
/* Formatted output                                                         */
/* ------------------------------------------------------------------------ */

/* Output sink: a buffer that either flushes to an fd when full (fd >= 0)
 * or truncates (snprintf, fd < 0). */
typedef struct {
    char *buf;
    size_t cap, len;
    long fd;
    long total; /* bytes produced, including any truncated */
    long error; /* first -errno from a flush */
} Sink;

static void sink_flush(Sink *s)
{
    size_t off = 0;
    while (off < s->len) {
        long r = sys_write(s->fd, s->buf + off, s->len - off);
        if (r <= 0) {
            if (r < 0 && !s->error)
                s->error = r;
            break;
        }
        off += (size_t)r;
    }
    s->len = 0;
}

static void sink_put(Sink *s, char c)
{
    s->total++;
    if (s->len == s->cap) {
        if (s->fd < 0)
            return;
        sink_flush(s);
    }
    s->buf[s->len++] = c;
}

static void sink_pad(Sink *s, char c, long n)
{
    while (n-- > 0)
        sink_put(s, c);
}

enum { F_LEFT = 1, F_ZERO = 2, F_PLUS = 4, F_SPACE = 8, F_ALT = 16 };

/* Emit prefix (sign or "0x"), zero-extended digits and padding. */
static void emit_number(Sink *s, const char *prefix, const char *digits, long ndigits, int flags, long width,
                        long prec)
{
    long plen = (long)strlen(prefix);
    long zeros = prec > ndigits ? prec - ndigits : 0;
    long body = plen + zeros + ndigits;
    long pad = width > body ? width - body : 0;
    if ((flags & F_ZERO) && !(flags & F_LEFT) && prec < 0) {
        zeros += pad;
        pad = 0;
    }
    if (!(flags & F_LEFT))
        sink_pad(s, ' ', pad);
    while (*prefix)
        sink_put(s, *prefix++);
    sink_pad(s, '0', zeros);
    for (long i = 0; i < ndigits; i++)
        sink_put(s, digits[i]);
    if (flags & F_LEFT)
        sink_pad(s, ' ', pad);
}

/* Digits of v in base 10 or 16 into the end of tmp; returns the first one. */
static char *to_digits(char *end, unsigned long long v, unsigned base, int upper)
{
    const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char *p = end;
    do {
        *--p = set[v % base];
        v /= base;
    } while (v);
    return p;
}

static void format(Sink *s, const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            sink_put(s, *fmt);
            continue;
        }
        const char *start = fmt++;
        int flags = 0;
        for (;; fmt++) {
            if (*fmt == '-')
                flags |= F_LEFT;
            else if (*fmt == '0')
                flags |= F_ZERO;
            else if (*fmt == '+')
                flags |= F_PLUS;
            else if (*fmt == ' ')
                flags |= F_SPACE;
            else if (*fmt == '#')
                flags |= F_ALT;
            else
                break;
        }
        long width = 0;
        if (*fmt == '*') {
            width = va_arg(ap, int);
            if (width < 0) {
                flags |= F_LEFT;
                width = -width;
            }
            fmt++;
        } else {
            while (*fmt >= '0' && *fmt <= '9')
                width = width * 10 + (*fmt++ - '0');
        }
        long prec = -1;
        if (*fmt == '.') {
            fmt++;
            prec = 0;
            if (*fmt == '*') {
                prec = va_arg(ap, int);
                if (prec < 0)
                    prec = -1;
                fmt++;
            } else {
                while (*fmt >= '0' && *fmt <= '9')
                    prec = prec * 10 + (*fmt++ - '0');
            }
        }
        int longs = 0; /* 0 int, 1 long, 2 long long (same as long here) */
        for (;; fmt++) {
            if (*fmt == 'l' || *fmt == 'z' || *fmt == 'j' || *fmt == 't')
                longs++;
            else if (*fmt != 'h')
                break;
        }

        char tmp[24];
        char *end = tmp + sizeof tmp;
        char *digits;
        switch (*fmt) {
        case 'd':
        case 'i': {
            long long v = longs ? va_arg(ap, long long) : va_arg(ap, int);
            /* negate in unsigned arithmetic so LLONG_MIN is fine */
            unsigned long long mag = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
            digits = to_digits(end, mag, 10, 0);
            if (prec == 0 && v == 0)
                digits = end;
            const char *sign = v < 0 ? "-" : (flags & F_PLUS) ? "+" : (flags & F_SPACE) ? " " : "";
            emit_number(s, sign, digits, end - digits, flags, width, prec);
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            unsigned long long v = longs ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned int);
            digits = to_digits(end, v, *fmt == 'u' ? 10 : 16, *fmt == 'X');
            if (prec == 0 && v == 0)
                digits = end;
            const char *prefix = "";
            if ((flags & F_ALT) && v != 0 && *fmt != 'u')
                prefix = *fmt == 'X' ? "0X" : "0x";
            emit_number(s, prefix, digits, end - digits, flags, width, prec);
            break;
        }
        case 'p': {
            uintptr_t v = (uintptr_t)va_arg(ap, void *);
            digits = to_digits(end, v, 16, 0);
            emit_number(s, "0x", digits, end - digits, flags, width, prec);
            break;
        }
        case 's': {
            const char *str = va_arg(ap, const char *);
            if (!str)
                str = "(null)";
            long n = 0;
            while (str[n] && (prec < 0 || n < prec))
                n++;
            long pad = width > n ? width - n : 0;
            if (!(flags & F_LEFT))
                sink_pad(s, ' ', pad);
            for (long i = 0; i < n; i++)
                sink_put(s, str[i]);
            if (flags & F_LEFT)
                sink_pad(s, ' ', pad);
            break;
        }
        case 'c': {
            long pad = width > 1 ? width - 1 : 0;
            if (!(flags & F_LEFT))
                sink_pad(s, ' ', pad);
            sink_put(s, (char)va_arg(ap, int));
            if (flags & F_LEFT)
                sink_pad(s, ' ', pad);
            break;
        }
        case '%':
            sink_put(s, '%');
            break;
        default:
            /* unknown conversion: print it as written so the bug is visible */
            for (; start <= fmt && *start; start++)
                sink_put(s, *start);
            if (!*fmt)
                return;
            break;
        }
    }
}

long s9_vdprintf(long fd, const char *fmt, va_list ap)
{
    char buf[S9_PRINTF_BUF];
    Sink s = {buf, sizeof buf, 0, fd, 0, 0};
    format(&s, fmt, ap);
    sink_flush(&s);
    return s.error ? s.error : s.total;
}

long s9_dprintf(long fd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    long r = s9_vdprintf(fd, fmt, ap);
    va_end(ap);
    return r;
}

long s9_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    long r = s9_vdprintf(1, fmt, ap);
    va_end(ap);
    return r;
}

long s9_eprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    long r = s9_vdprintf(2, fmt, ap);
    va_end(ap);
    return r;
}

long s9_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    char dummy;
    /* keep one byte for the terminating NUL */
    Sink s = {size ? buf : &dummy, size ? size - 1 : 0, 0, -1, 0, 0};
    format(&s, fmt, ap);
    if (size)
        buf[s.len] = '\0';
    return s.total;
}

long s9_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    long r = s9_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return r;
}

long s9_puts(const char *s) { return s9_printf("%s\n", s); }

/* ------------------------------------------------------------------------ */
/* Misc helpers                                                             */
/* ------------------------------------------------------------------------ */

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

void s9_exit(long code)
{
    for (;;)
        sys_proc_exit(code);
}

long s9_sleep_ns(int64_t ns)
{
    TimeSpec req = {ns / NSEC_PER_SEC, ns % NSEC_PER_SEC};
    return sys_nanosleep(&req, NULL);
}

int64_t s9_now_ns(void)
{
    TimeSpec ts;
    long r = sys_clock_gettime(CLOCK_MONOTONIC, &ts);
    if (r < 0)
        return r;
    return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

long s9_thread_spawn(int (*fn)(void *), void *arg, void *stack, size_t stack_size, uint64_t tls)
{
    uintptr_t top = ((uintptr_t)stack + stack_size) & ~(uintptr_t)15;
    if (top < (uintptr_t)stack + 16)
        return -EINVAL;
    top -= 16; /* room for fn; stays 16-aligned for s9_thread_entry */
    *(uintptr_t *)top = (uintptr_t)fn;
    return sys_thread_create((uint64_t)(uintptr_t)s9_thread_entry, top, (uint64_t)(uintptr_t)arg, 0, tls);
}
