/*
 * proc_info: prints argc, argv and envp, then checks the auxiliary vector
 * that the loader puts after envp on the initial stack (System V ABI).
 * Exit code = number of failed checks.
 *
 * Addresses are compared, never printed, so the output is the same for
 * every compiler (only the arguments and environment show up).
 */
#include "strat9.h"
#include "s9test.h"

/* The parts of the ELF64 file header used here. */
typedef struct {
    unsigned char e_ident[16];
    uint16_t e_type, e_machine;
    uint32_t e_version;
    uint64_t e_entry, e_phoff, e_shoff;
    uint32_t e_flags;
    uint16_t e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
} Elf64Header;
_Static_assert(sizeof(Elf64Header) == 64, "ELF64 header is 64 bytes");

/* Our own ELF header, as mapped by the loader (defined by ld and lld). */
extern const Elf64Header __ehdr_start;

#define MAX_AUXV 128 /* give up rather than run off a missing AT_NULL */

static uint64_t val[AT_EXECFN + 1];
static int seen[AT_EXECFN + 1];

/* The value of an auxv entry, 0 when it is missing. */
static uint64_t aux(int type) { return seen[type] ? val[type] : 0; }

int main(int argc, char **argv, char **envp)
{
    s9_printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++)
        s9_printf("argv[%d]=\"%s\"\n", i, argv[i]);
    CHECK_GE(argc, 1);
    CHECK(argv[argc] == NULL);

    int envc = 0;
    while (envp[envc]) {
        s9_printf("envp[%d]=\"%s\"\n", envc, envp[envc]);
        envc++;
    }
    s9_printf("envc=%d\n", envc);

    /* The auxv starts right after envp's NULL: (type, value) pairs ending
     * with AT_NULL. */
    const uint64_t *auxv = (const uint64_t *)(envp + envc + 1);
    int n = 0, terminated = 0;
    for (; n < MAX_AUXV; n++) {
        uint64_t type = auxv[2 * n], value = auxv[2 * n + 1];
        if (type == AT_NULL) {
            terminated = 1;
            break;
        }
        if (type <= AT_EXECFN) {
            seen[type] = 1;
            val[type] = value;
        }
    }
    s9test_note("auxv");
    CHECK(terminated);

    CHECK(seen[AT_PAGESZ]);
    CHECK_EQ(aux(AT_PAGESZ), 4096);

    /* AT_ENTRY is where the loader started us: crt0's _start. */
    CHECK(seen[AT_ENTRY]);
    CHECK(aux(AT_ENTRY) == (uint64_t)(uintptr_t)_start);
    CHECK(__ehdr_start.e_entry == (uint64_t)(uintptr_t)_start);

    /* AT_PHDR / AT_PHNUM describe our program headers: they must match the
     * ELF header's, and the table must be readable where AT_PHDR says. */
    CHECK(seen[AT_PHDR]);
    CHECK(seen[AT_PHNUM]);
    CHECK(aux(AT_PHDR) == (uint64_t)(uintptr_t)&__ehdr_start + __ehdr_start.e_phoff);
    CHECK_EQ(aux(AT_PHNUM), __ehdr_start.e_phnum);
    CHECK(!seen[AT_PHENT] || val[AT_PHENT] == 56); /* optional, but then right */
    int loads = 0;
    if (seen[AT_PHDR] && seen[AT_PHNUM]) {
        /* p_type of each entry: at least one PT_LOAD (1) must be there */
        const volatile uint32_t *ph = (const volatile uint32_t *)(uintptr_t)val[AT_PHDR];
        for (uint64_t i = 0; i < val[AT_PHNUM] && i < 64; i++)
            loads += ph[i * 14] == 1; /* 14 u32 words per 56-byte entry */
    }
    CHECK_GT(loads, 0);

    /* AT_RANDOM: 16 readable bytes (a fault here kills us, which also
     * fails the run). Their value is not printed: it may be random. */
    CHECK(seen[AT_RANDOM]);
    CHECK(aux(AT_RANDOM) != 0);
    int random_readable = 0;
    if (seen[AT_RANDOM] && val[AT_RANDOM] != 0) {
        const volatile uint8_t *rnd = (const volatile uint8_t *)(uintptr_t)val[AT_RANDOM];
        for (int i = 0; i < 16; i++)
            (void)rnd[i];
        random_readable = 1; /* reached: all 16 bytes were readable */
    }
    CHECK(random_readable);

    return s9test_done();
}
