/*
 * Native side of the x87 instruction tests: runs short machine-code sequences on the host CPU and prints
 * the complete x87 state afterwards, for comparison with the simulated CPU.
 *
 * Input, one case per line:   CODE STATE DATA RFLAGS RAX
 *   CODE    instruction bytes (hex), executed at CODE_ADDR with RBX = DATA_ADDR; a RET is appended
 *   STATE   108-byte FNSAVE image (hex, memory order) loaded with FRSTOR before the code runs
 *   DATA    DATA_SIZE bytes (hex) placed at DATA_ADDR
 *   RFLAGS  initial RFLAGS (hex); RAX initial RAX (hex)
 *
 * Output, one line per case:
 *   N <FNSAVE image after the code>            RFLAGS RAX DATA    (the code ran to its end)
 *   S<sig> <rip-CODE_ADDR> <FXSAVE image[0..160)> RFLAGS RAX DATA (a signal stopped it; the x87 state is
 *                                                                   the one the kernel saved at the fault)
 * All hex is in memory byte order, except RFLAGS/RAX/rip which are numbers.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#define CODE_ADDR 0x10000000UL
#define DATA_ADDR 0x10100000UL
#define DATA_SIZE 512

/* Referenced by name from the inline assembly below, so not static. */
unsigned char st_in[108], st_out[108];
uint64_t fl_in, fl_out, rax_in, rax_out, code_ptr, data_ptr;
static sigjmp_buf jb;
static volatile int sig_no;
static volatile uint64_t sig_rip, sig_fl, sig_rax;
static unsigned char sig_fx[512];

static void on_signal(int sig, siginfo_t *si, void *ctx) {
  (void)si;
  ucontext_t *uc = ctx;
  sig_no = sig;
  sig_rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
  sig_fl = (uint64_t)uc->uc_mcontext.gregs[REG_EFL];
  sig_rax = (uint64_t)uc->uc_mcontext.gregs[REG_RAX];
  if (uc->uc_mcontext.fpregs) memcpy(sig_fx, uc->uc_mcontext.fpregs, 512);
  else memset(sig_fx, 0, sizeof sig_fx);
  siglongjmp(jb, 1);
}

static void run(void) {
  __asm__ volatile(
      "push %%rbx\n\t"
      "mov data_ptr(%%rip), %%rbx\n\t"
      "mov rax_in(%%rip), %%rax\n\t"
      "frstor st_in(%%rip)\n\t"
      "pushq fl_in(%%rip)\n\t"
      "popfq\n\t"
      "call *code_ptr(%%rip)\n\t"
      "pushfq\n\t"
      "popq fl_out(%%rip)\n\t"
      "fnsave st_out(%%rip)\n\t"
      "mov %%rax, rax_out(%%rip)\n\t"
      "pop %%rbx\n\t"
      :
      :
      : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory", "cc");
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static size_t parse_bytes(const char *s, unsigned char *out, size_t max) {
  size_t n = strlen(s) / 2;
  if (n > max) n = max;
  for (size_t i = 0; i < n; i++) out[i] = (unsigned char)(hexval(s[2 * i]) * 16 + hexval(s[2 * i + 1]));
  return n;
}

static void put_bytes(const unsigned char *p, size_t n) {
  static const char h[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    putchar(h[p[i] >> 4]);
    putchar(h[p[i] & 15]);
  }
}

int main(void) {
  unsigned char *code = mmap((void *)CODE_ADDR, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  unsigned char *data = mmap((void *)DATA_ADDR, 4096, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (code != (void *)CODE_ADDR || data != (void *)DATA_ADDR) {
    fprintf(stderr, "cannot map the fixed code/data pages\n");
    return 2;
  }
  code_ptr = CODE_ADDR;
  data_ptr = DATA_ADDR;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_signal;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGFPE, &sa, NULL);
  sigaction(SIGILL, &sa, NULL);
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGBUS, &sa, NULL);

  static char line[1 << 16];
  static char codehex[1 << 14], sthex[1 << 14], datahex[1 << 14];
  unsigned long long fl, rax;
  while (fgets(line, sizeof line, stdin)) {
    if (sscanf(line, "%16383s %16383s %16383s %llx %llx", codehex, sthex, datahex, &fl, &rax) != 5 ||
        strlen(codehex) > 8000 || strlen(sthex) != 2 * sizeof st_in || strlen(datahex) > 2 * DATA_SIZE) {
      fprintf(stderr, "bad input line: %s", line);
      return 2;
    }
    size_t n = parse_bytes(codehex, code, 4000);
    code[n] = 0xc3;
    memset(data, 0, DATA_SIZE);
    parse_bytes(datahex, data, DATA_SIZE);
    parse_bytes(sthex, st_in, sizeof st_in);
    fl_in = fl;
    rax_in = rax;
    sig_no = 0;
    if (sigsetjmp(jb, 1) == 0) {
      run();
      printf("N ");
      put_bytes(st_out, sizeof st_out);
      printf(" %llx %llx ", (unsigned long long)fl_out, (unsigned long long)rax_out);
    } else {
      __asm__ volatile("fninit");
      printf("S%d %llx ", sig_no, (unsigned long long)(sig_rip - CODE_ADDR));
      put_bytes(sig_fx, 160);
      printf(" %llx %llx ", (unsigned long long)sig_fl, (unsigned long long)sig_rax);
    }
    put_bytes(data, DATA_SIZE);
    putchar('\n');
  }
  return 0;
}
