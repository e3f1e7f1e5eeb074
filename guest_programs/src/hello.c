/* hello: the smallest useful guest; one SYS_GETPID, one SYS_WRITE, exit 0. */
#include "strat9.h"

int main(void)
{
    s9_printf("hello from pid %ld\n", sys_getpid());
    return 0;
}
