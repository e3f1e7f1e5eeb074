/*
 * crt0.S: process entry of Strat9 guest programs.
 *
 * The loader leaves the System V initial stack:
 *   [rsp] argc, then argv[0..argc-1], NULL, envp[...], NULL, auxv pairs.
 * _start calls main(argc, argv, envp) and passes its return value to
 * SYS_PROC_EXIT, so `return N;` from main is the process exit code.
 */
#include "strat9_sys.h"

    .text
    .globl _start
    .type _start, @function
_start:
    xorl    %ebp, %ebp              /* outermost frame, for debuggers */
    movq    (%rsp), %rdi            /* argc */
    leaq    8(%rsp), %rsi           /* argv */
    leaq    16(%rsp,%rdi,8), %rdx   /* envp = &argv[argc + 1] */
    andq    $-16, %rsp              /* SysV: rsp % 16 == 0 before the call */
    call    main
    movslq  %eax, %rdi              /* main returns int: sign-extend the exit code */
    movl    $SYS_PROC_EXIT, %eax
    syscall
    ud2                             /* exit returned: make it loud */
    .size _start, . - _start

/*
 * Thread trampoline used by s9_thread_spawn: the kernel starts a thread
 * with rdi = arg0 and rsp = stack_top (16-aligned), and s9_thread_spawn
 * stored the C function pointer at [stack_top]. Calling it from here gives
 * the callee the alignment a normal call would, and its return value
 * becomes the thread's exit code.
 */
    .globl s9_thread_entry
    .type s9_thread_entry, @function
s9_thread_entry:
    xorl    %ebp, %ebp
    movq    (%rsp), %rax
    call    *%rax
    movslq  %eax, %rdi
    movl    $SYS_THREAD_EXIT, %eax
    syscall
    ud2
    .size s9_thread_entry, . - s9_thread_entry

    .section .note.GNU-stack, "", @progbits
