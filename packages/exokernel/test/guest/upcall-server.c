/*
 * An IPC server that takes its messages as upcalls while its main code computes: it listens on the
 * endpoint it is given (RDI at start), then runs a long register-only loop (a 64-bit LCG over 1..N) that
 * the handler interrupts at slice boundaries. The handler replies to a call with the first word plus one,
 * the caller's badge and the sender's environment number; a call whose first word is 0 asks for the
 * loop's result: the reply carries it once the loop is done (0 before), and the server then exits.
 */
#include "exov6.h"

static char ipc_stack[8192] __attribute__((aligned(16)));
static volatile long done;
static volatile uint64_t result;
static volatile long served;

static void handler(struct exo_utrapframe *frame, struct exo_msg *m, long sender) {
  served++;
  if (m->w[0] == 0) {
    struct exo_msg reply = {{done ? result : 0, (uint64_t)served, 0, 0}, -1, 0};
    exo_ipc_reply(&reply);
    if (done) exo_exit();
  } else {
    struct exo_msg reply = {{m->w[0] + 1, m->badge, (uint64_t)sender, 0}, -1, 0};
    exo_ipc_reply(&reply);
  }
  exo_ipc_upcall_return(frame);
}

void start(long endpoint) {
  if (exo_ipc_listen(endpoint, handler, ipc_stack + sizeof ipc_stack) != 0) exo_exit();
  uint64_t acc = 0;
  for (uint64_t i = 1; i <= 1000000; i++) acc = acc * 6364136223846793005ull + i;
  result = acc;
  done = 1;
  for (;;) exo_upcall_wait();
}

__asm__(".globl _start\n_start:\n  and $-16, %rsp\n  call start\n  ud2\n");
