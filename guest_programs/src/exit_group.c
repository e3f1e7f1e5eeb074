/* exit_group: as exit_code, but through SYS_EXIT_GROUP. */
#include "strat9.h"

int main(int argc, char **argv)
{
    long code = argc > 1 ? s9_atol(argv[1]) : 3;
    sys_exit_group(code);
    return 100; /* not reached unless SYS_EXIT_GROUP returned */
}
