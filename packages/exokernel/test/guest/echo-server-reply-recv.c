/*
 * echo-server.c's loop with exo_ipc_reply_recv: one primitive answers a call and takes the next. Same
 * answers: the first word plus one and the caller's badge; a call whose first word is 0 ends the server
 * (after replying).
 */
#include "exov6.h"

void start(long endpoint) {
  struct exo_msg m = {{0, 0, 0, 0}, -1, 0};
  if (exo_ipc_recv(endpoint, &m) < 0) exo_exit();
  for (;;) {
    long stop = m.w[0] == 0;
    struct exo_msg next = {{m.w[0] + 1, m.badge, 0, 0}, -1, 0};
    if (stop) {
      exo_ipc_reply(&next);
      exo_exit();
    }
    if (exo_ipc_reply_recv(endpoint, &next) < 0) exo_exit();
    m = next;
  }
}

__asm__(".globl _start\n_start:\n  and $-16, %rsp\n  call start\n  ud2\n");
