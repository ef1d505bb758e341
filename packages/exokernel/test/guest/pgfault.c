/*
 * A guest program with its own page-fault handler (JOS style): it touches four unmapped pages, and the
 * handler, running on its exception stack, allocates and maps a frame for each through the exokernel's
 * guest primitives, then resumes the faulting store. The result goes to the library OS through Linux's
 * exit(2) (a syscall number the kernel redirects).
 */
#include "exov6.h"

static char exception_stack[8192] __attribute__((aligned(16)));
static long space_cap;
static long faults;
static long last_error;

static void handler(struct exo_utrapframe *frame) {
  faults++;
  long page = exo_frame_alloc();
  if (page < 0) last_error = page;
  long r = exo_map(space_cap, frame->fault_va & ~0xfffUL, page, EXO_MAP_WRITE);
  if (r < 0) last_error = r;
  exo_pgfault_return(frame);
}

static void linux_exit(long status) {
  __asm__ volatile("syscall" : : "a"(60), "D"(status) : "rcx", "r11", "memory");
  __builtin_unreachable();
}

void start(long space) {
  space_cap = space;
  exo_set_pgfault_upcall(handler, exception_stack + sizeof exception_stack);
  volatile long *p = (volatile long *)0x10000000;
  for (int i = 0; i < 4; i++) p[i * 512] = i + 1;
  long sum = p[0] + p[512] + p[1024] + p[1536];
  long refused = exo_map(space_cap, 0x10000000, 0, 0); /* capability 0 is not a frame of ours */
  linux_exit(last_error != 0 ? last_error : sum * 1000 + faults * 10 + (refused < 0 ? 1 : 0));
}

__asm__(".globl _start\n_start:\n  and $-16, %rsp\n  call start\n  ud2\n");
