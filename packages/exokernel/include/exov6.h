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

#endif
