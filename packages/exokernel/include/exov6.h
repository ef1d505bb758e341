/*
 * exov6.h: the ExoV6 exokernel's guest system-call ABI for C programs.
 *
 * Primitives are `syscall` with RAX = EXO_SYSCALL_BASE + number and arguments in RDI, RSI, RDX, R10, R8,
 * R9 (the Linux convention); the result comes back in RAX, a negative EXO_E_* value on refusal. Any other
 * syscall number goes to the environment's library OS. Header-only; no library needed.
 */
#ifndef EXOV6_H
#define EXOV6_H

#include <stdint.h>

#define EXO_SYSCALL_BASE 0x4000

#define EXO_SYS_NULL 0
#define EXO_SYS_ENV_ID 1
#define EXO_SYS_YIELD 2
#define EXO_SYS_FRAME_ALLOC 3
#define EXO_SYS_FRAME_FREE 4
#define EXO_SYS_MAP 5
#define EXO_SYS_UNMAP 6
#define EXO_SYS_CAP_DERIVE 7
#define EXO_SYS_CAP_REVOKE 8
#define EXO_SYS_CAP_DELETE 9
#define EXO_SYS_SET_PGFAULT_UPCALL 10
#define EXO_SYS_PGFAULT_RETURN 11
#define EXO_SYS_EXIT 12
#define EXO_SYS_ENDPOINT_CREATE 13
#define EXO_SYS_IPC_SEND 14
#define EXO_SYS_IPC_RECV 15
#define EXO_SYS_IPC_CALL 16
#define EXO_SYS_IPC_REPLY 17
#define EXO_SYS_CAP_GRANT 18
#define EXO_SYS_CAP_TRANSFER 19
#define EXO_SYS_IPC_LISTEN 20
#define EXO_SYS_UPCALL_WAIT 21
#define EXO_SYS_IPC_UPCALL_RETURN 22
#define EXO_SYS_IPC_REPLY_RECV 23

/* Refusals (negative results). */
#define EXO_E_INVAL (-1)
#define EXO_E_BADCAP (-2)
#define EXO_E_RIGHTS (-3)
#define EXO_E_TYPE (-4)
#define EXO_E_LABEL (-5)
#define EXO_E_NOMEM (-6)
#define EXO_E_EXISTS (-7)
#define EXO_E_NOENT (-8)
#define EXO_E_STATE (-9)
#define EXO_E_AGAIN (-10)
#define EXO_E_CANCELED (-11)
#define EXO_E_FULL (-12)
#define EXO_E_NOSYS (-38)

/* map() flags. */
#define EXO_MAP_WRITE 1
#define EXO_MAP_EXEC 2

/* Capability rights (caplattice's built-in bits). */
#define EXO_RIGHT_READ (1u << 0)
#define EXO_RIGHT_WRITE (1u << 1)
#define EXO_RIGHT_EXECUTE (1u << 2)
#define EXO_RIGHT_MAP (1u << 3)
#define EXO_RIGHT_GRANT (1u << 4)
#define EXO_RIGHT_REVOKE (1u << 5)
#define EXO_RIGHT_TRANSFER (1u << 6)
#define EXO_RIGHT_IPC_SEND (1u << 12)
#define EXO_RIGHT_IPC_RECV (1u << 13)

/* What the kernel writes on the exception stack for a page-fault upcall (160 bytes). */
struct exo_utrapframe {
  uint64_t fault_va;
  uint64_t err; /* x86 #PF error code: bit 0 present, bit 1 write, bit 2 user, bit 4 fetch */
  /* rax rcx rdx rbx rsp rbp rsi rdi r8 r9 r10 r11 r12 r13 r14 r15 */
  uint64_t regs[16];
  uint64_t rip;
  uint64_t rflags;
};

static inline long exo_syscall6(long n, long a, long b, long c, long d, long e, long f) {
  long ret;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(EXO_SYSCALL_BASE + n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}

static inline long exo_null(void) { return exo_syscall6(EXO_SYS_NULL, 0, 0, 0, 0, 0, 0); }
static inline long exo_env_id(void) { return exo_syscall6(EXO_SYS_ENV_ID, 0, 0, 0, 0, 0, 0); }
static inline long exo_yield(void) { return exo_syscall6(EXO_SYS_YIELD, 0, 0, 0, 0, 0, 0); }
static inline long exo_frame_alloc(void) { return exo_syscall6(EXO_SYS_FRAME_ALLOC, 0, 0, 0, 0, 0, 0); }
static inline long exo_frame_free(long frame) { return exo_syscall6(EXO_SYS_FRAME_FREE, frame, 0, 0, 0, 0, 0); }
static inline long exo_map(long space, uint64_t va, long frame, long flags) {
  return exo_syscall6(EXO_SYS_MAP, space, (long)va, frame, flags, 0, 0);
}
static inline long exo_unmap(long space, uint64_t va) { return exo_syscall6(EXO_SYS_UNMAP, space, (long)va, 0, 0, 0, 0); }
static inline long exo_cap_derive(long cap, unsigned rights) {
  return exo_syscall6(EXO_SYS_CAP_DERIVE, cap, (long)rights, 0, 0, 0, 0);
}
static inline long exo_cap_revoke(long cap) { return exo_syscall6(EXO_SYS_CAP_REVOKE, cap, 0, 0, 0, 0, 0); }
static inline long exo_cap_delete(long cap) { return exo_syscall6(EXO_SYS_CAP_DELETE, cap, 0, 0, 0, 0, 0); }
static inline long exo_cap_grant(long cap, unsigned rights, long env) {
  return exo_syscall6(EXO_SYS_CAP_GRANT, cap, (long)rights, env, 0, 0, 0);
}
static inline long exo_cap_transfer(long cap, long env) { return exo_syscall6(EXO_SYS_CAP_TRANSFER, cap, env, 0, 0, 0, 0); }

/* The handler runs on the exception stack with the frame as its argument and must end in
 * exo_pgfault_return(frame), which resumes the faulting instruction with the frame's registers. */
static inline long exo_set_pgfault_upcall(void (*handler)(struct exo_utrapframe *), void *exception_stack_top) {
  return exo_syscall6(EXO_SYS_SET_PGFAULT_UPCALL, (long)handler, (long)exception_stack_top, 0, 0, 0, 0);
}
__attribute__((noreturn)) static inline void exo_pgfault_return(struct exo_utrapframe *frame) {
  exo_syscall6(EXO_SYS_PGFAULT_RETURN, (long)frame, 0, 0, 0, 0, 0);
  __builtin_unreachable();
}
__attribute__((noreturn)) static inline void exo_exit(void) {
  exo_syscall6(EXO_SYS_EXIT, 0, 0, 0, 0, 0, 0);
  __builtin_unreachable();
}

/* An IPC message: four words and at most one capability (moved; -1 for none). On receipt, `badge` is the
 * badge of the sender's endpoint capability (0 if none). */
struct exo_msg {
  uint64_t w[4];
  long cap;
  uint64_t badge;
};

/* The IPC primitives share one register convention: RDI endpoint, RSI RDX R10 R8 words, R9 capability;
 * a receiving primitive returns RDI badge, RSI RDX R10 R8 words, R9 capability. */
static inline long exo_ipc_(long n, long ep, struct exo_msg *m) {
  register long r10 __asm__("r10") = (long)m->w[2];
  register long r8 __asm__("r8") = (long)m->w[3];
  register long r9 __asm__("r9") = m->cap;
  long rax = EXO_SYSCALL_BASE + n, rdi = ep, rsi = (long)m->w[0], rdx = (long)m->w[1];
  __asm__ volatile("syscall"
                   : "+a"(rax), "+D"(rdi), "+S"(rsi), "+d"(rdx), "+r"(r10), "+r"(r8), "+r"(r9)
                   :
                   : "rcx", "r11", "memory");
  if (rax == 0 && n != EXO_SYS_IPC_SEND && n != EXO_SYS_IPC_REPLY) {
    m->badge = (uint64_t)rdi;
    m->w[0] = (uint64_t)rsi;
    m->w[1] = (uint64_t)rdx;
    m->w[2] = (uint64_t)r10;
    m->w[3] = (uint64_t)r8;
    m->cap = r9;
  }
  return rax;
}

static inline long exo_endpoint_create(void) { return exo_syscall6(EXO_SYS_ENDPOINT_CREATE, 0, 0, 0, 0, 0, 0); }
static inline long exo_ipc_send(long ep, struct exo_msg *m) { return exo_ipc_(EXO_SYS_IPC_SEND, ep, m); }
static inline long exo_ipc_recv(long ep, struct exo_msg *m) { return exo_ipc_(EXO_SYS_IPC_RECV, ep, m); }
static inline long exo_ipc_call(long ep, struct exo_msg *m) { return exo_ipc_(EXO_SYS_IPC_CALL, ep, m); }
static inline long exo_ipc_reply(struct exo_msg *m) { return exo_ipc_(EXO_SYS_IPC_REPLY, -1, m); }
/* A server's loop in one primitive: replies with m to the call last received, then receives the next
 * message on ep into m (the endpoint is checked first: a refusal replies to nobody). */
static inline long exo_ipc_reply_recv(long ep, struct exo_msg *m) {
  return exo_ipc_(EXO_SYS_IPC_REPLY_RECV, ep, m);
}

/* IPC upcalls: messages on an endpoint delivered to a handler instead of waiting in exo_ipc_recv. When the
 * environment next runs after a message arrived, the kernel saves its registers in a frame just below
 * exception_stack_top, the message (48 bytes) below the frame, and calls handler(frame, message, sender
 * environment number) there. The handler answers a call with exo_ipc_reply and ends in
 * exo_ipc_upcall_return(frame), which resumes the interrupted code and accepts the next message. One
 * message at a time; senders wait their turn in the endpoint's queue. exo_ipc_listen(-1, 0, 0) stops.
 * The exception stack must not be the page-fault handler's. */
typedef void (*exo_ipc_handler)(struct exo_utrapframe *frame, struct exo_msg *msg, long sender);
static inline long exo_ipc_listen(long ep, exo_ipc_handler handler, void *exception_stack_top) {
  return exo_syscall6(EXO_SYS_IPC_LISTEN, ep, (long)handler, (long)exception_stack_top, 0, 0, 0);
}
/* Blocks until a message is due; returns 0 once its handler has run. */
static inline long exo_upcall_wait(void) { return exo_syscall6(EXO_SYS_UPCALL_WAIT, 0, 0, 0, 0, 0, 0); }
__attribute__((noreturn)) static inline void exo_ipc_upcall_return(struct exo_utrapframe *frame) {
  exo_syscall6(EXO_SYS_IPC_UPCALL_RETURN, (long)frame, 0, 0, 0, 0, 0);
  __builtin_unreachable();
}

#endif
