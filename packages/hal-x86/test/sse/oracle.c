/*
 * SSE/SSE2 oracle: executes single instructions on the host CPU and prints
 * the machine state they leave behind, for comparison with the emulator.
 *
 * Input, one case per line (all values little-endian byte order, as hex):
 *   CODE X0 X1 X8 X9 RAX RCX MXCSR RFLAGS MEMOFF MEM
 *     CODE    the instruction's bytes
 *     X0..X9  xmm0, xmm1, xmm8, xmm9 (16 bytes each)
 *     RAX RCX 8 bytes each
 *     MXCSR   4 bytes, loaded right before the instruction
 *     RFLAGS  8 bytes, loaded right before the instruction
 *     MEMOFF  decimal offset of RDX from a 64-byte aligned buffer
 *     MEM     initial contents of the buffer at RDX (any length up to 1024)
 * Output, one line per case:
 *   X0 X1 X8 X9 RAX RCX MXCSR RFLAGS MEM SIG
 *     SIG  0, or the signal number the instruction raised (the registers are
 *          then the input values and MXCSR is the one at the fault)
 *
 * Each case is run from a stub assembled into an executable page:
 *   load xmm0/1/8/9, rax, rcx, rdx; push/popf; ldmxcsr; INSN; stmxcsr;
 *   pushf/pop; restore the default MXCSR; store the registers; ret.
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

struct state {
  uint8_t x0[16], x1[16], x8[16], x9[16]; /* 0, 16, 32, 48 */
  uint64_t rax;                           /* 64 */
  uint64_t rdx;                           /* 72 */
  uint64_t rflags;                        /* 80 */
  uint32_t mxcsr_in;                      /* 88 */
  uint32_t mxcsr_out;                     /* 92 */
  uint32_t mxcsr_def;                     /* 96 */
  uint32_t pad;                           /* 100 */
  uint64_t rcx;                           /* 104 */
};

static const uint8_t PROLOGUE[] = {
    0xf3, 0x0f, 0x6f, 0x07,             /* movdqu (%rdi),%xmm0 */
    0xf3, 0x0f, 0x6f, 0x4f, 0x10,       /* movdqu 16(%rdi),%xmm1 */
    0xf3, 0x44, 0x0f, 0x6f, 0x47, 0x20, /* movdqu 32(%rdi),%xmm8 */
    0xf3, 0x44, 0x0f, 0x6f, 0x4f, 0x30, /* movdqu 48(%rdi),%xmm9 */
    0x48, 0x8b, 0x47, 0x40,             /* mov 64(%rdi),%rax */
    0x48, 0x8b, 0x57, 0x48,             /* mov 72(%rdi),%rdx */
    0x48, 0x8b, 0x4f, 0x68,             /* mov 104(%rdi),%rcx */
    0xff, 0x77, 0x50,                   /* push 80(%rdi) */
    0x9d,                               /* popf */
    0x0f, 0xae, 0x57, 0x58,             /* ldmxcsr 88(%rdi) */
};
static const uint8_t EPILOGUE[] = {
    0x0f, 0xae, 0x5f, 0x5c,             /* stmxcsr 92(%rdi) */
    0x9c,                               /* pushf */
    0x8f, 0x47, 0x50,                   /* pop 80(%rdi) */
    0x0f, 0xae, 0x57, 0x60,             /* ldmxcsr 96(%rdi) */
    0xf3, 0x0f, 0x7f, 0x07,             /* movdqu %xmm0,(%rdi) */
    0xf3, 0x0f, 0x7f, 0x4f, 0x10,       /* movdqu %xmm1,16(%rdi) */
    0xf3, 0x44, 0x0f, 0x7f, 0x47, 0x20, /* movdqu %xmm8,32(%rdi) */
    0xf3, 0x44, 0x0f, 0x7f, 0x4f, 0x30, /* movdqu %xmm9,48(%rdi) */
    0x48, 0x89, 0x47, 0x40,             /* mov %rax,64(%rdi) */
    0x48, 0x89, 0x4f, 0x68,             /* mov %rcx,104(%rdi) */
    0xc3,                               /* ret */
};

static sigjmp_buf env;
static volatile uint32_t fault_mxcsr;

static void on_signal(int sig, siginfo_t *si, void *ctx) {
  (void)si;
  ucontext_t *uc = ctx;
  fault_mxcsr = uc->uc_mcontext.fpregs ? uc->uc_mcontext.fpregs->mxcsr : 0;
  siglongjmp(env, sig);
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Parses a hex token into out (at most max bytes); returns the byte count. */
static int parse_hex(const char *tok, uint8_t *out, int max) {
  int n = 0;
  while (tok[0] && tok[1] && n < max) {
    int hi = hexval(tok[0]), lo = hexval(tok[1]);
    if (hi < 0 || lo < 0) break;
    out[n++] = (uint8_t)(hi * 16 + lo);
    tok += 2;
  }
  return n;
}

static void print_hex(const uint8_t *p, int n) {
  static const char digits[] = "0123456789abcdef";
  for (int i = 0; i < n; i++) {
    putchar(digits[p[i] >> 4]);
    putchar(digits[p[i] & 15]);
  }
  if (n == 0) putchar('-');
}

int main(void) {
  uint8_t *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  static uint8_t membuf[2048] __attribute__((aligned(64)));
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_signal;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGBUS, &sa, NULL);
  sigaction(SIGFPE, &sa, NULL);
  sigaction(SIGILL, &sa, NULL);

  static char line[8192];
  while (fgets(line, sizeof line, stdin)) {
    char *tok[11];
    int nt = 0;
    for (char *p = strtok(line, " \t\r\n"); p && nt < 11; p = strtok(NULL, " \t\r\n")) tok[nt++] = p;
    if (nt < 10) {
      puts("ERR");
      continue;
    }
    uint8_t code[32];
    int clen = parse_hex(tok[0], code, 32);
    struct state st;
    memset(&st, 0, sizeof st);
    parse_hex(tok[1], st.x0, 16);
    parse_hex(tok[2], st.x1, 16);
    parse_hex(tok[3], st.x8, 16);
    parse_hex(tok[4], st.x9, 16);
    parse_hex(tok[5], (uint8_t *)&st.rax, 8);
    parse_hex(tok[6], (uint8_t *)&st.rcx, 8);
    parse_hex(tok[7], (uint8_t *)&st.mxcsr_in, 4);
    parse_hex(tok[8], (uint8_t *)&st.rflags, 8);
    int off = atoi(tok[9]);
    memset(membuf, 0, sizeof membuf);
    int mlen = nt > 10 ? parse_hex(tok[10], membuf + off, 1024) : 0;
    st.rdx = (uint64_t)(uintptr_t)(membuf + off);
    st.mxcsr_def = 0x1f80;

    size_t n = 0;
    memcpy(page + n, PROLOGUE, sizeof PROLOGUE);
    n += sizeof PROLOGUE;
    memcpy(page + n, code, clen);
    n += clen;
    memcpy(page + n, EPILOGUE, sizeof EPILOGUE);

    struct state in = st;
    int sig = sigsetjmp(env, 1);
    if (sig == 0) {
      ((void (*)(struct state *))page)(&st);
    } else {
      uint32_t m = 0x1f80;
      __asm__ volatile("ldmxcsr %0" : : "m"(m));
      st = in;
      st.mxcsr_out = fault_mxcsr;
    }
    print_hex(st.x0, 16);
    putchar(' ');
    print_hex(st.x1, 16);
    putchar(' ');
    print_hex(st.x8, 16);
    putchar(' ');
    print_hex(st.x9, 16);
    putchar(' ');
    print_hex((uint8_t *)&st.rax, 8);
    putchar(' ');
    print_hex((uint8_t *)&st.rcx, 8);
    putchar(' ');
    print_hex((uint8_t *)&st.mxcsr_out, 4);
    putchar(' ');
    print_hex((uint8_t *)&st.rflags, 8);
    putchar(' ');
    print_hex(membuf + off, mlen);
    printf(" %d\n", sig);
  }
  return 0;
}
