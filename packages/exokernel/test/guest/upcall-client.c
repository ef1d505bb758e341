/*
 * The client of upcall-server.c: calls it 100 times on the endpoint it is given (RDI), checking each
 * reply, then asks for the server's loop result until it is ready (yielding in between), and reports
 * with syscall 1000: RDI the sum of the replies' first words (or -1 after a wrong one), RSI the result,
 * RDX the number of messages the server says it served.
 */
#include "exov6.h"

static void report(long sum, uint64_t result, uint64_t served) {
  __asm__ volatile("syscall" : : "a"(1000), "D"(sum), "S"(result), "d"(served) : "rcx", "r11", "memory");
  __builtin_unreachable();
}

void start(long endpoint) {
  long sum = 0;
  for (long i = 1; i <= 100; i++) {
    struct exo_msg m = {{(uint64_t)i, 0, 0, 0}, -1, 0};
    if (exo_ipc_call(endpoint, &m) < 0 || (long)m.w[0] != i + 1) report(-1, 0, 0);
    sum += (long)m.w[0];
  }
  for (;;) {
    struct exo_msg m = {{0, 0, 0, 0}, -1, 0};
    if (exo_ipc_call(endpoint, &m) < 0) report(-1, 0, 0);
    if (m.w[0] != 0) report(sum, m.w[0], m.w[1]);
    exo_yield();
  }
}

__asm__(".globl _start\n_start:\n  and $-16, %rsp\n  call start\n  ud2\n");
