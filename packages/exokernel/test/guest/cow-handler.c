/*
 * fork(2) with copy-on-write where the copying is the program's own business, as in JOS's lib/fork.c:
 * the library OS (test/support/cow-guest-libos.ts) shares every writable page of the parent read-only
 * with the child, and each process's page-fault handler, in C on its exception stack, copies a shared
 * page the first time the process writes it, with a frame of its own environment and the exokernel's
 * guest primitives. The library OS never sees these faults.
 *
 * What the program needs from its library OS it finds in its process page (PROCESS_PAGE, a page the
 * library OS writes and never shares): the capability for its own address space, where its exception
 * stack is, a scratch address for the copy (PFTEMP), and the list of pages shared copy-on-write (what
 * JOS reads from PTE_COW in its page tables). The handler keeps its count of copies there too: every
 * other page it could write is shared after the fork, and writing one would fault again.
 *
 * The library OS starts the program with a mode in RDI:
 *   0: fork once. The child changes the global `counter`, the .data buffer `data_buf` and a buffer on its
 *      stack, reports them with syscall REPORT and exits with CHILD_STATUS; the parent gives up the CPU
 *      once (a kernel yield, so the child runs first), then reports its own copies, which must be
 *      unchanged, and exits with PARENT_STATUS.
 *   1: as 0, but the child first writes to its read-only .rodata: a present page, written, that is not
 *      copy-on-write. Its handler ends it with FAULT_STATUS | error code.
 *   2: as 0, but the child first reads an address nothing is mapped at: ended the same way.
 *
 * REPORT (1000) is a syscall of this library OS's own: the values go in registers (RDI counter, RSI RDX
 * the 16 bytes of data_buf, R10 R8 the 16 bytes of the stack buffer, R9 the number of pages the handler
 * copied), so the library OS needs to read no memory the program may have remapped to frames it does not
 * hold.
 */
#include "exov6.h"

#define SYS_FORK 57
#define SYS_EXIT 60
#define SYS_REPORT 1000

/* The process page's address; its layout is struct process_page (the library OS writes the same). */
#define PROCESS_PAGE 0x7fff2000UL
#define COW_PAGES_MAX 64

#define PARENT_STATUS 3
#define CHILD_STATUS 4
/* A fault the handler does not handle: FAULT_STATUS | the x86 error code. */
#define FAULT_STATUS 0xfa00
/* A primitive refused inside the handler: HANDLER_FAILED | step << 8 | -error. */
#define HANDLER_FAILED 0xe0000

#define PF_PRESENT 1
#define PF_WRITE 2

struct process_page {
  /* Written by the library OS. */
  long space;                   /* this process's own address-space capability (MAP and READ) */
  uint64_t exception_stack_top; /* where the handler runs */
  uint64_t pftemp;              /* a free page address for the copy, in a page table that exists */
  uint64_t cow_count;           /* how many entries of cow_pages are valid */
  uint64_t cow_pages[COW_PAGES_MAX];
  /* Written by the program. */
  long cow_faults; /* pages the handler copied */
};

static volatile struct process_page *const proc = (volatile struct process_page *)PROCESS_PAGE;

/*
 * Each of these starts a page of its own, so the test knows exactly which pages a write after the fork
 * touches (one page each, and not the same one).
 */
volatile long counter __attribute__((aligned(4096))) = 41;
volatile char data_buf[32] __attribute__((aligned(4096))) = "parent data";
static const char read_only[16] = "read only";

__attribute__((noreturn)) static void linux_exit(long status) {
  __asm__ volatile("syscall" : : "a"(SYS_EXIT), "D"(status) : "rcx", "r11", "memory");
  __builtin_unreachable();
}

static int is_cow(uint64_t page) {
  uint64_t n = proc->cow_count;
  for (uint64_t i = 0; i < n && i < COW_PAGES_MAX; i++)
    if (proc->cow_pages[i] == page) return 1;
  return 0;
}

__attribute__((noreturn)) static void handler_failed(long step, long error) {
  linux_exit(HANDLER_FAILED | step << 8 | (-error & 0xff));
}

/*
 * JOS's pgfault: a write to a present copy-on-write page gets a new frame, mapped at PFTEMP to be filled
 * from the page (still mapped read-only, so readable), then mapped writable in place of the shared one.
 * Anything else ends the process.
 */
static void pgfault(struct exo_utrapframe *frame) {
  uint64_t page = frame->fault_va & ~0xfffUL;
  if ((frame->err & (PF_PRESENT | PF_WRITE)) != (PF_PRESENT | PF_WRITE) || !is_cow(page))
    linux_exit(FAULT_STATUS | (long)frame->err);
  long space = proc->space;
  uint64_t pftemp = proc->pftemp;
  long copy = exo_frame_alloc();
  if (copy < 0) handler_failed(1, copy);
  long r = exo_map(space, pftemp, copy, EXO_MAP_WRITE);
  if (r < 0) handler_failed(2, r);
  uint64_t words = 4096 / 8;
  void *to = (void *)pftemp;
  const void *from = (const void *)page;
  __asm__ volatile("rep movsq" : "+D"(to), "+S"(from), "+c"(words) : : "memory");
  if ((r = exo_unmap(space, page)) < 0) handler_failed(3, r);
  if ((r = exo_map(space, page, copy, EXO_MAP_WRITE)) < 0) handler_failed(4, r);
  if ((r = exo_unmap(space, pftemp)) < 0) handler_failed(5, r);
  proc->cow_faults++;
  exo_pgfault_return(frame);
}

/*
 * fork, and in the child the registration of its page-fault handler before anything else: the kernel
 * keeps the handler per environment and the child is a new one, and the child's first write (a stack
 * spill would do) faults. So the child registers in the same instructions as the fork, which write no
 * memory; the entry and stack top wait in R8 and R9, which the fork gives the child unchanged.
 */
static long fork_with_handler(void) {
  long pid;
  register long entry __asm__("r8") = (long)pgfault;
  register long top __asm__("r9") = (long)proc->exception_stack_top;
  __asm__ volatile(
      "syscall\n\t"
      "test %%rax, %%rax\n\t"
      "jnz 1f\n\t"
      "mov %%r8, %%rdi\n\t"
      "mov %%r9, %%rsi\n\t"
      "mov %[set], %%eax\n\t"
      "syscall\n\t"
      "xor %%eax, %%eax\n"
      "1:"
      : "=a"(pid)
      : "0"((long)SYS_FORK), "r"(entry), "r"(top), [set] "i"(EXO_SYSCALL_BASE + EXO_SYS_SET_PGFAULT_UPCALL)
      : "rcx", "r11", "rdi", "rsi", "memory", "cc");
  return pid;
}

static uint64_t word(const volatile char *s) {
  uint64_t w = 0;
  for (int i = 7; i >= 0; i--) w = w << 8 | (uint8_t)s[i];
  return w;
}

static void report(const volatile char *stack_buf) {
  /* Every value first, then the registers: nothing may run between loading them and the syscall. */
  long values[6] = {counter,           (long)word(data_buf),      (long)word(data_buf + 8),
                    (long)word(stack_buf), (long)word(stack_buf + 8), proc->cow_faults};
  register long r10 __asm__("r10") = values[3];
  register long r8 __asm__("r8") = values[4];
  register long r9 __asm__("r9") = values[5];
  long ret = SYS_REPORT;
  __asm__ volatile("syscall"
                   : "+a"(ret)
                   : "D"(values[0]), "S"(values[1]), "d"(values[2]), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
}

/* Volatile on both sides so the compiler neither keeps the buffers in registers nor calls memcpy. */
static void set_text(volatile char *to, const char *from) {
  while ((*to++ = *from++) != 0) {
  }
}

void start(long mode) {
  volatile char stack_buf[16] = {0};
  /* On the stack (volatile), and written right after the fork: each process writes its stack page. */
  volatile long fork_result;
  set_text(stack_buf, "parent stack");
  exo_set_pgfault_upcall(pgfault, (void *)proc->exception_stack_top);
  fork_result = fork_with_handler();
  if (fork_result == 0) {
    if (mode == 1) *(volatile char *)read_only = 'R';
    if (mode == 2) (void)*(volatile long *)0x10000000;
    counter += 1000;
    set_text(data_buf, "child data");
    set_text(stack_buf, "child stack");
    report(stack_buf);
    linux_exit(CHILD_STATUS);
  }
  exo_yield();
  report(stack_buf);
  linux_exit(fork_result > 0 ? PARENT_STATUS : 100 - fork_result);
}

__asm__(".globl _start\n_start:\n  and $-16, %rsp\n  call start\n  ud2\n");
