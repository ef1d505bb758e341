/*
 * fork(2) for a program with no libc, served by a TypeScript library OS (test/support/cow-libos.ts) that
 * implements it with copy-on-write through page-fault upcalls. The program only speaks Linux: fork (57),
 * getpid (39), write (1) and exit (60), each a plain `syscall` the exokernel hands to the library OS.
 *
 * The library OS starts the program with a mode in RDI:
 *   0: fork once. The child changes the global `x`, the .data buffer `data_buf` and a buffer on its stack,
 *      reports them and exits with CHILD_STATUS; the parent gives up the CPU once (a kernel yield, so the
 *      child runs first), then reports its own copies, which must be unchanged, and exits with
 *      PARENT_STATUS. The parent writes nothing but its stack after the fork.
 *   1: fork bomb. Every process forks in a loop, children included, giving up the CPU after each fork,
 *      until fork fails; it then exits with the number of children it made, or 255 if the failure was
 *      anything but ENOMEM. It keeps its state in registers only, so the bomb costs the library OS address
 *      spaces, not copied pages.
 */
#include "exov6.h"

#define SYS_WRITE 1
#define SYS_GETPID 39
#define SYS_FORK 57
#define SYS_EXIT 60
#define ENOMEM 12

#define PARENT_STATUS 3
#define CHILD_STATUS 4

/*
 * Each of these starts a page of its own, so the test knows exactly which pages a write after the fork
 * touches (one page each, and not the same one).
 */
volatile long x __attribute__((aligned(4096))) = 41;
volatile char data_buf[32] __attribute__((aligned(4096))) = "parent data";

static long linux_syscall(long n, long a, long b, long c) {
  long ret;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return ret;
}

__attribute__((noreturn)) static void linux_exit(long status) {
  linux_syscall(SYS_EXIT, status, 0, 0);
  __builtin_unreachable();
}

/* Volatile on both sides so the compiler neither keeps the buffers in registers nor calls memcpy. */
static void set_text(volatile char *to, const char *from) {
  while ((*to++ = *from++) != 0) {
  }
}

struct line {
  char bytes[160];
  long length;
};

static void put_text(struct line *l, const volatile char *s) {
  while (*s != 0) l->bytes[l->length++] = *s++;
}

static void put_number(struct line *l, long v) {
  char digits[24];
  int n = 0;
  if (v < 0) {
    l->bytes[l->length++] = '-';
    v = -v;
  }
  do {
    digits[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) l->bytes[l->length++] = digits[--n];
}

/* "<who> pid=<getpid> fork=<fork's result> x=<x> data=<data_buf> stack=<stack_buf>\n" on fd 1. */
static void report(const char *who, long fork_result, const volatile char *stack_buf) {
  struct line l;
  l.length = 0;
  put_text(&l, who);
  put_text(&l, " pid=");
  put_number(&l, linux_syscall(SYS_GETPID, 0, 0, 0));
  put_text(&l, " fork=");
  put_number(&l, fork_result);
  put_text(&l, " x=");
  put_number(&l, x);
  put_text(&l, " data=");
  put_text(&l, data_buf);
  put_text(&l, " stack=");
  put_text(&l, stack_buf);
  put_text(&l, "\n");
  linux_syscall(SYS_WRITE, 1, (long)l.bytes, l.length);
}

static void fork_once(void) {
  volatile char stack_buf[16];
  set_text(stack_buf, "parent stack");
  long pid = linux_syscall(SYS_FORK, 0, 0, 0);
  if (pid == 0) {
    x += 1000;
    set_text(data_buf, "child data");
    set_text(stack_buf, "child stack");
    report("child", pid, stack_buf);
    linux_exit(CHILD_STATUS);
  }
  exo_yield();
  report("parent", pid, stack_buf);
  linux_exit(pid > 0 ? PARENT_STATUS : 100 - pid);
}

__attribute__((noreturn)) static void fork_bomb(void) {
  long children = 0;
  for (;;) {
    long pid = linux_syscall(SYS_FORK, 0, 0, 0);
    if (pid < 0) linux_exit(pid == -ENOMEM ? children : 255);
    if (pid == 0)
      children = 0; /* a new process, which forks in its turn */
    else
      children++;
    exo_yield(); /* let the others fork too: the bomb grows as a tree, not as one process's fan */
  }
}

void start(long mode) {
  if (mode == 1) fork_bomb();
  fork_once();
}

__asm__(".globl _start\n_start:\n  and $-16, %rsp\n  call start\n  ud2\n");
