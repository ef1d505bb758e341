/**
 * Why `Vcpu.run()` returned, modelled on KVM's `kvm_run.exit_reason`: the host owns the loop and decides
 * what each exit means.
 */
export type VcpuExit =
  /** A `syscall` instruction retired. RIP is after it; RCX/R11 hold the return RIP and RFLAGS as on hardware. */
  | { kind: 'syscall' }
  /**
   * An exception. RIP points at the faulting instruction, which restarts when the host resumes the vCPU
   * (after fixing the cause), except for traps such as #BP (int3), where RIP is after the instruction.
   */
  | { kind: 'exception'; vector: number; errorCode: number; cr2: bigint; detail: string }
  /** The instruction budget passed to run() is used up. */
  | { kind: 'budget' }
  /** A device raised an interrupt and RFLAGS.IF allows delivery. */
  | { kind: 'interrupt'; vector: number }
  /** HLT at CPL 0 (at CPL 3 it is a #GP exception). */
  | { kind: 'hlt' };

export type VcpuExitKind = VcpuExit['kind'];
