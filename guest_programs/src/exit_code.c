/* exit_code: exits through SYS_PROC_EXIT with argv[1] parsed as decimal
 * (default 3), so tests can check how exit statuses pass through. No output:
 * the trace is the exit call alone. */
#include "strat9.h"

int main(int argc, char **argv)
{
    long code = argc > 1 ? s9_atol(argv[1]) : 3;
    sys_proc_exit(code);
    return 100; /* not reached unless SYS_PROC_EXIT returned */
}
