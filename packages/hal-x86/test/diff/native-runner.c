/*
 * Native reference for the differential tests of the integer instruction set.
 *
 * Reads a batch of test cases from stdin, executes each one on the host CPU and writes the resulting
 * architectural state to stdout. Everything is little-endian.
 *
 * Input:  u32 magic 'DIF1', u32 count, then `count` records of struct case_in (256 bytes each).
 * Output: for each case a struct case_out (176 bytes) followed by `ndiff` u32 entries
 *         (offset in bits 0..15, new byte value in bits 16..23) listing the data-page bytes that changed.
 *
 * An instruction that never reaches a trap (a jump to itself) is abandoned by a watchdog and reported
 * with trap number 0x100.
 *
 * Memory layout (identical in the emulator-side harness):
 *   CODE_PAGE 0x10000000  read+execute, filled with 0xCC (int3); the instruction under test is at INSN_ADDR
 *                         (or at another offset given by the case, up to the page end: bytes that would
 *                         lie beyond it are dropped, so that the fetch runs into the unmapped page).
 *   DATA_PAGE 0x20000000  RW, 4 KiB, filled from a per-case seed plus explicit patches.
 *   The pages immediately below and above both of them are reserved PROT_NONE, so stray accesses
 *   just outside fault deterministically (the emulator leaves them unmapped).
 *
 * Execution uses the kernel's signal frame in both directions, so no hand-written trampoline is needed:
 *   1. The runner executes int3. The SIGTRAP handler (running on an alternate stack) overwrites the
 *      saved user context with the case's 16 GPRs, RFLAGS and RIP = INSN_ADDR and returns; sigreturn
 *      loads that state into the CPU, which then executes the instruction under test.
 *   2. Execution stops at the next int3 byte (whatever address control reached: the fall-through, a
 *      branch target or a return address inside the code page) or at a fault. The handler copies the
 *      saved context (GPRs, RFLAGS, RIP, trap number, error code, fault address) into the result and
 *      siglongjmps back into the runner loop.
 * Because the guest's RSP is never used by the host (the handler runs on the alternate stack), the
 * instruction may load any value into any register, including RSP.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <asm/prctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <ucontext.h>
#include <unistd.h>

#define PAGE 4096UL
#define CODE_PAGE 0x10000000UL
#define INSN_ADDR (CODE_PAGE + 0x800UL)
#define DATA_PAGE 0x20000000UL
#define MAGIC 0x31464944u /* "DIF1" */

struct patch {
  uint16_t off;
  uint16_t len;
  uint8_t bytes[28];
};

struct case_in {
  uint8_t len;       /* 1..31: more than 15 bytes tests the instruction-length limit (#GP) */
  uint8_t code[31];
  uint64_t regs[16]; /* RAX RCX RDX RBX RSP RBP RSI RDI R8..R15 (modrm numbering) */
  uint64_t rflags;
  uint32_t seed;
  uint16_t npatch;
  uint16_t insn_off; /* offset of the instruction in the code page; 0 means INSN_ADDR */
  struct patch patch[2];
  uint64_t fsbase; /* FS/GS base while the instruction runs; 0 keeps the host's */
  uint64_t gsbase;
};

struct case_out {
  uint32_t trapno; /* 3 (int3 reached) for normal completion, else the exception vector */
  uint32_t signo;
  uint64_t err;
  uint64_t addr; /* fault address (si_addr) for SIGSEGV/SIGBUS */
  uint64_t rip;  /* address of the int3 reached, or of the faulting instruction */
  uint64_t regs[16];
  uint64_t rflags;
  uint32_t ndiff;
  uint32_t pad;
};

_Static_assert(sizeof(struct case_in) == 256, "case_in layout");
_Static_assert(sizeof(struct case_out) == 176, "case_out layout");

static const int greg_index[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
                                   REG_R8,  REG_R9,  REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15};

static sigjmp_buf back;
static volatile int phase; /* 0 idle, 1 entering guest, 2 guest running */
static struct case_in cur;
static struct case_out res;
static unsigned long insn_addr;
static unsigned long host_fs, host_gs;

/*
 * arch_prctl without libc: while the guest's FS base is loaded, nothing here may touch thread-local
 * storage (errno, the stack protector canary or the pointer guard used by siglongjmp).
 */
static long raw_arch_prctl(long code, unsigned long arg) {
  long ret;
  __asm__ volatile("syscall" : "=a"(ret) : "0"((long)SYS_arch_prctl), "D"(code), "S"(arg) : "rcx", "r11", "memory");
  return ret;
}

/* Same generator as fillData() in harness.ts. */
static void fill_data(uint8_t *p, uint32_t seed) {
  uint32_t s = seed ? seed : 0x9e3779b9u;
  for (size_t i = 0; i < PAGE; i += 4) {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    memcpy(p + i, &s, 4);
  }
}

static void die(const char *msg) {
  fprintf(stderr, "native-runner: %s\n", msg);
  exit(2);
}

/* Watchdog ticks seen while the current case runs (SIGALRM every 100 ms). */
static volatile int ticks;
#define TIMEOUT_TRAPNO 0x100

static void handler(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *uc = (ucontext_t *)ctx;
  greg_t *g = uc->uc_mcontext.gregs;
  if (sig == SIGALRM) {
    /* An instruction that does not finish (a branch to itself, say) is abandoned after 200-300 ms. */
    if (phase != 2 || ++ticks < 3) return;
  }
  if (phase == 1 && sig == SIGTRAP) {
    for (int r = 0; r < 16; r++) g[greg_index[r]] = (greg_t)cur.regs[r];
    g[REG_EFL] = (greg_t)((cur.rflags & 0x0cd5u) | 0x202u);
    g[REG_RIP] = (greg_t)insn_addr;
    if (cur.fsbase) raw_arch_prctl(ARCH_SET_FS, cur.fsbase);
    if (cur.gsbase) raw_arch_prctl(ARCH_SET_GS, cur.gsbase);
    phase = 2;
    return;
  }
  if (phase == 2) {
    if (cur.fsbase) raw_arch_prctl(ARCH_SET_FS, host_fs);
    if (cur.gsbase) raw_arch_prctl(ARCH_SET_GS, host_gs);
  }
  if (phase != 2) {
    /* A fault in the runner itself: report and die. */
    signal(sig, SIG_DFL);
    fprintf(stderr, "native-runner: unexpected signal %d at rip %llx\n", sig, (unsigned long long)g[REG_RIP]);
    abort();
  }
  res.signo = (uint32_t)sig;
  res.trapno = sig == SIGALRM ? TIMEOUT_TRAPNO : (uint32_t)g[REG_TRAPNO];
  res.err = (uint64_t)g[REG_ERR];
  res.addr = (sig == SIGSEGV || sig == SIGBUS) ? (uint64_t)(uintptr_t)si->si_addr : 0;
  res.rip = (uint64_t)g[REG_RIP];
  if (sig == SIGTRAP && res.trapno == 3) res.rip -= 1; /* int3 reports the address after itself */
  for (int r = 0; r < 16; r++) res.regs[r] = (uint64_t)g[greg_index[r]];
  res.rflags = (uint64_t)g[REG_EFL];
  phase = 0;
  siglongjmp(back, 1);
}

static void reserve(unsigned long addr, int prot) {
  void *p = mmap((void *)addr, PAGE, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (p != (void *)addr) die("cannot map the fixed test pages (address range in use?)");
}

static int read_all(void *buf, size_t n) {
  uint8_t *p = buf;
  while (n > 0) {
    ssize_t k = read(0, p, n);
    if (k <= 0) return -1;
    p += k;
    n -= (size_t)k;
  }
  return 0;
}

static uint8_t *obuf;
static size_t olen, ocap;

static void out(const void *p, size_t n) {
  if (olen + n > ocap) {
    ocap = (ocap + n) * 2;
    obuf = realloc(obuf, ocap);
    if (!obuf) die("out of memory");
  }
  memcpy(obuf + olen, p, n);
  olen += n;
}

int main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  if (raw_arch_prctl(ARCH_GET_FS, (unsigned long)&host_fs) != 0) die("arch_prctl(ARCH_GET_FS)");
  if (raw_arch_prctl(ARCH_GET_GS, (unsigned long)&host_gs) != 0) die("arch_prctl(ARCH_GET_GS)");
  reserve(CODE_PAGE - PAGE, PROT_NONE);
  reserve(CODE_PAGE + PAGE, PROT_NONE);
  /* The code page is mapped twice: read+execute at CODE_PAGE (as in the emulator, where it is not
     writable) and read+write at an address of the kernel's choosing, through which the runner writes. */
  int fd = memfd_create("diff-code", 0);
  if (fd < 0 || ftruncate(fd, PAGE) != 0) die("memfd_create");
  if (mmap((void *)CODE_PAGE, PAGE, PROT_READ | PROT_EXEC, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0) != (void *)CODE_PAGE) {
    die("cannot map the code page");
  }
  uint8_t *code = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (code == MAP_FAILED) die("cannot map the code page alias");
  reserve(DATA_PAGE - PAGE, PROT_NONE);
  reserve(DATA_PAGE, PROT_READ | PROT_WRITE);
  reserve(DATA_PAGE + PAGE, PROT_NONE);
  uint8_t *data = (uint8_t *)DATA_PAGE;
  memset(code, 0xcc, PAGE);

  static uint8_t altstack[1 << 16];
  stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
  if (sigaltstack(&ss, NULL) != 0) die("sigaltstack");
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = handler;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  const int sigs[] = {SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGILL};
  for (unsigned k = 0; k < sizeof sigs / sizeof sigs[0]; k++) {
    if (sigaction(sigs[k], &sa, NULL) != 0) die("sigaction");
  }
  sa.sa_flags |= SA_RESTART;
  if (sigaction(SIGALRM, &sa, NULL) != 0) die("sigaction");
  struct itimerval watchdog = {{0, 100000}, {0, 100000}};
  if (setitimer(ITIMER_REAL, &watchdog, NULL) != 0) die("setitimer");

  uint32_t hdr[2];
  if (read_all(hdr, sizeof hdr) != 0 || hdr[0] != MAGIC) die("bad input header");
  uint32_t count = hdr[1];
  static uint8_t before[PAGE];

  for (uint32_t n = 0; n < count; n++) {
    if (read_all(&cur, sizeof cur) != 0) die("truncated input");
    if (cur.len < 1 || cur.len > sizeof cur.code || cur.npatch > 2 || cur.insn_off >= PAGE) die("bad case record");
    fill_data(data, cur.seed);
    for (uint32_t k = 0; k < cur.npatch; k++) {
      const struct patch *pt = &cur.patch[k];
      if (pt->len > sizeof pt->bytes || pt->off + pt->len > PAGE) die("bad patch");
      memcpy(data + pt->off, pt->bytes, pt->len);
    }
    memcpy(before, data, PAGE);
    insn_addr = cur.insn_off ? CODE_PAGE + cur.insn_off : INSN_ADDR;
    size_t in_page = cur.len;
    if (insn_addr - CODE_PAGE + in_page > PAGE) in_page = PAGE - (insn_addr - CODE_PAGE);
    memcpy(code + (insn_addr - CODE_PAGE), cur.code, in_page);
    memset(&res, 0, sizeof res);
    ticks = 0;

    if (sigsetjmp(back, 0) == 0) {
      /* Clear AC, NT and ID so the guest starts from a known RFLAGS (sigreturn cannot change them). */
      __asm__ volatile("pushfq\n\tandq $~0x244000, (%%rsp)\n\tpopfq" ::: "memory", "cc");
      phase = 1;
      __asm__ volatile("int3" ::: "memory");
      die("guest returned without a trap");
    }
    /* Leave the host's RFLAGS clean again (a popf under test may have set AC or NT). */
    __asm__ volatile("pushfq\n\tandq $~0x244400, (%%rsp)\n\tpopfq" ::: "memory", "cc");

    memset(code + (insn_addr - CODE_PAGE), 0xcc, in_page);
    uint32_t ndiff = 0;
    for (size_t i = 0; i < PAGE; i++) ndiff += before[i] != data[i];
    res.ndiff = ndiff;
    out(&res, sizeof res);
    for (size_t i = 0; i < PAGE; i++) {
      if (before[i] != data[i]) {
        uint32_t e = (uint32_t)i | ((uint32_t)data[i] << 16);
        out(&e, 4);
      }
    }
  }
  size_t done = 0;
  while (done < olen) {
    ssize_t k = write(1, obuf + done, olen - done);
    if (k <= 0) die("write failed");
    done += (size_t)k;
  }
  return 0;
}
