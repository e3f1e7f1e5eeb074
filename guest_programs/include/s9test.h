/*
 * s9test.h: a TAP-like test harness for guest programs.
 *
 *   CHECK_EQ(sys_null(), 0x57A79);   -> "ok 1 - sys_null() == 0x57A79"
 *   ...
 *   return s9test_done();            -> "1..N" and "# passed P failed F";
 *                                       the exit code is F
 *
 * A failed check prints
 *   "not ok N - <expr> == <expected>: got X (ERRNAME), expected Y (ERRNAME)"
 * where the errno name is shown only for values in -4095..-1 (and
 * "expected >= Y" etc. for the ordering checks).
 * Values are compared as long (64-bit); each operand is evaluated once.
 * Output depends only on the values, never on addresses, so runs of the same
 * guest built by different compilers print the same lines.
 */
#ifndef S9TEST_H
#define S9TEST_H

#include "strat9.h"

static int s9test_count;
static int s9test_failed;

enum { S9T_EQ, S9T_NE, S9T_LT, S9T_LE, S9T_GT, S9T_GE, S9T_TRUE };

/* " (EBADF)" for error results, "" otherwise. */
static inline const char *s9test_errsuffix(long v, char *buf, size_t size)
{
    if (S9_IS_ERR(v))
        s9_snprintf(buf, size, " (%s)", errno_name(v));
    else if (size)
        buf[0] = '\0';
    return buf;
}

static inline int s9test_check(int op, long got, long want, const char *text)
{
    int ok;
    switch (op) {
    case S9T_EQ: ok = got == want; break;
    case S9T_NE: ok = got != want; break;
    case S9T_LT: ok = got < want; break;
    case S9T_LE: ok = got <= want; break;
    case S9T_GT: ok = got > want; break;
    case S9T_GE: ok = got >= want; break;
    default: ok = got != 0; break;
    }
    s9test_count++;
    if (ok) {
        s9_printf("ok %d - %s\n", s9test_count, text);
        return 1;
    }
    s9test_failed++;
    if (op == S9T_TRUE) {
        s9_printf("not ok %d - %s: false\n", s9test_count, text);
    } else {
        char g[24], w[24];
        static const char *const rel[] = {"", "!= ", "< ", "<= ", "> ", ">= "};
        s9_printf("not ok %d - %s: got %ld%s, expected %s%ld%s\n", s9test_count, text, got,
                  s9test_errsuffix(got, g, sizeof g), rel[op], want, s9test_errsuffix(want, w, sizeof w));
    }
    return 0;
}

/* The text is stringified here, in the macro the test calls, so that macros
 * in the arguments (NULL, -EBADF, ...) show as written, not as their
 * compiler-specific expansion. */
#define S9TEST_CMP(op, text, expr, expected) s9test_check(op, (long)(expr), (long)(expected), text)

/* Each returns 1 when the check passed, 0 otherwise. */
#define CHECK_EQ(expr, expected) S9TEST_CMP(S9T_EQ, #expr " == " #expected, expr, expected)
#define CHECK_NE(expr, expected) S9TEST_CMP(S9T_NE, #expr " != " #expected, expr, expected)
#define CHECK_LT(expr, bound) S9TEST_CMP(S9T_LT, #expr " < " #bound, expr, bound)
#define CHECK_LE(expr, bound) S9TEST_CMP(S9T_LE, #expr " <= " #bound, expr, bound)
#define CHECK_GT(expr, bound) S9TEST_CMP(S9T_GT, #expr " > " #bound, expr, bound)
#define CHECK_GE(expr, bound) S9TEST_CMP(S9T_GE, #expr " >= " #bound, expr, bound)
#define CHECK(cond) s9test_check(S9T_TRUE, (long)!!(cond), 1, #cond)

/* A "# ..." comment line (newline added), to group checks in the output. */
#define s9test_note(fmt, ...) s9_printf("# " fmt "\n", ##__VA_ARGS__)

static inline int s9test_done(void)
{
    s9_printf("1..%d\n# passed %d failed %d\n", s9test_count, s9test_count - s9test_failed, s9test_failed);
    return s9test_failed;
}

#endif /* S9TEST_H */
