/*
 * An IPC client in guest code: calls the server on the endpoint it is given (RDI) 100 times, checks every
 * reply, then tells the server to stop and exits (Linux exit) with the sum of the replies, or -1 after a
 * wrong reply.
 */
#include "exov6.h"

static void linux_exit(long status) {
  __asm__ volatile("syscall" : : "a"(60), "D"(status) : "rcx", "r11", "memory");
  __builtin_unreachable();
}

void start(long endpoint) {
  long sum = 0;
  for (long i = 1; i <= 100; i++) {
    struct exo_msg m = {{(uint64_t)i, 0, 0, 0}, -1, 0};
    long r = exo_ipc_call(endpoint, &m);
    if (r < 0) linux_exit(r);
    if ((long)m.w[0] != i + 1) linux_exit(-1);
    sum += (long)m.w[0] + (long)m.w[1];
  }
  struct exo_msg bye = {{0, 0, 0, 0}, -1, 0};
  exo_ipc_call(endpoint, &bye);
  linux_exit(sum);
}

__asm__(".globl _start\n_start:\n  and $-16, %rsp\n  call start\n  ud2\n");
