/* The state a static program starts in, as Linux sets it up: every general register zero but RSP (RDX
 * included: the ABI reads a non-zero RDX as a function for atexit), and the auxiliary vector's entries.
 * Built with its entry point at entry_check, which records the registers and goes on to musl's _start. */
#include <elf.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

unsigned long entry_regs[15];
extern const Elf64_Ehdr __ehdr_start;
void entry_check(void);

__asm__(".globl entry_check\n"
        "entry_check:\n"
        "  mov %rax, entry_regs+0(%rip)\n"
        "  mov %rbx, entry_regs+8(%rip)\n"
        "  mov %rcx, entry_regs+16(%rip)\n"
        "  mov %rdx, entry_regs+24(%rip)\n"
        "  mov %rsi, entry_regs+32(%rip)\n"
        "  mov %rdi, entry_regs+40(%rip)\n"
        "  mov %rbp, entry_regs+48(%rip)\n"
        "  mov %r8, entry_regs+56(%rip)\n"
        "  mov %r9, entry_regs+64(%rip)\n"
        "  mov %r10, entry_regs+72(%rip)\n"
        "  mov %r11, entry_regs+80(%rip)\n"
        "  mov %r12, entry_regs+88(%rip)\n"
        "  mov %r13, entry_regs+96(%rip)\n"
        "  mov %r14, entry_regs+104(%rip)\n"
        "  mov %r15, entry_regs+112(%rip)\n"
        "  jmp _start\n");

static const char *names[15] = {"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8",
                                 "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};

int main(int argc, char **argv) {
  (void)argc;
  int nonzero = 0;
  for (int i = 0; i < 15; i++)
    if (entry_regs[i] != 0) printf("%s was %#lx at entry\n", names[i], entry_regs[i]), nonzero++;
  printf("registers zero at entry but rsp: %d\n", nonzero == 0);
  const Elf64_Ehdr *eh = &__ehdr_start;
  int has_pt_phdr = 0;
  const Elf64_Phdr *ph = (const Elf64_Phdr *)((const char *)eh + eh->e_phoff);
  for (int i = 0; i < eh->e_phnum; i++) has_pt_phdr |= ph[i].p_type == PT_PHDR;
  printf("the program has PT_PHDR: %d\n", has_pt_phdr);
  printf("AT_PHDR right %d, AT_PHENT %lu, AT_PHNUM right %d\n", getauxval(AT_PHDR) == (unsigned long)ph,
         getauxval(AT_PHENT), getauxval(AT_PHNUM) == eh->e_phnum);
  printf("AT_ENTRY is the entry point %d\n", getauxval(AT_ENTRY) == (unsigned long)entry_check);
  printf("AT_PAGESZ %lu, AT_CLKTCK %lu, AT_SECURE %lu\n", getauxval(AT_PAGESZ), getauxval(AT_CLKTCK),
         getauxval(AT_SECURE));
  printf("AT_UID/EUID/GID/EGID are the ids %d\n",
         getauxval(AT_UID) == getuid() && getauxval(AT_EUID) == geteuid() && getauxval(AT_GID) == getgid() &&
             getauxval(AT_EGID) == getegid());
  printf("AT_HWCAP has SSE2 %d\n", (getauxval(AT_HWCAP) >> 26) & 1);
  printf("AT_RANDOM given %d\n", getauxval(AT_RANDOM) != 0);
  const char *execfn = (const char *)getauxval(AT_EXECFN);
  const char *base = strrchr(execfn, '/');
  const char *arg0 = strrchr(argv[0], '/');
  printf("AT_EXECFN names the program %d\n",
         strcmp(base ? base + 1 : execfn, arg0 ? arg0 + 1 : argv[0]) == 0);
  return 0;
}
