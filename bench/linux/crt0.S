/*
 * bench/linux/crt0.S: process entry for the Linux builds of the benchmark
 * guests. The kernel leaves argc at [rsp], then argv[], NULL, envp[], NULL,
 * auxv. Call main(argc, argv, envp) with rsp 16-aligned and pass its int
 * result to exit (60).
 */
    .text
    .globl _start
    .type _start, @function
_start:
    xorl    %ebp, %ebp
    movq    (%rsp), %rdi
    leaq    8(%rsp), %rsi
    leaq    16(%rsp,%rdi,8), %rdx
    andq    $-16, %rsp
    call    main
    movslq  %eax, %rdi
    movl    $60, %eax
    syscall
    ud2
    .size _start, . - _start

    .section .note.GNU-stack, "", @progbits
