/*
 * An IPC server in guest code: receives calls on the endpoint it is given (RDI at start) and replies with
 * the first word plus one and the badge of the caller's capability in the second word. A call whose first
 * word is 0 ends the server (after replying).
 */
#include "exov6.h"

void start(long endpoint) {
  for (;;) {
    struct exo_msg m = {{0, 0, 0, 0}, -1, 0};
    long r = exo_ipc_recv(endpoint, &m);
    if (r < 0) exo_exit();
    long stop = m.w[0] == 0;
    struct exo_msg reply = {{m.w[0] + 1, m.badge, 0, 0}, -1, 0};
    exo_ipc_reply(&reply);
    if (stop) exo_exit();
  }
}

__asm__(".globl _start\n_start:\n  and $-16, %rsp\n  call start\n  ud2\n");
