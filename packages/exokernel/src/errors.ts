/**
 * The exokernel's refusals. Every primitive either succeeds or throws an `ExoError` whose `code` says why,
 * and a refused call changes nothing. Guest code sees the same refusal as a negative number in RAX
 * (`errno`), so a C library OS and a TypeScript one get the same answers.
 */
import { CapabilityError, FlowError } from '@exov6/caplattice';

/** Why a primitive was refused, with the negative number the guest ABI returns for it. */
export const ExoErrno = {
  /** An argument is malformed: not an integer, negative, unaligned, out of range, too large. */
  E_INVAL: -1,
  /** The capability id does not resolve in the caller's space: never issued, stale, revoked, another space's. */
  E_BADCAP: -2,
  /** The capability lacks a right the primitive needs. */
  E_RIGHTS: -3,
  /** The capability names the wrong kind of object (a frame where an address space is needed...). */
  E_TYPE: -4,
  /** The security lattice's flow policy forbids the information flow the call would create. */
  E_LABEL: -5,
  /** The caller's frame quota, or physical memory, is exhausted. */
  E_NOMEM: -6,
  /** The virtual page is already mapped. */
  E_EXISTS: -7,
  /** Nothing is mapped there, or nothing is registered. */
  E_NOENT: -8,
  /** The object is not in a state that allows the call (a dead environment, a busy endpoint...). */
  E_STATE: -9,
  /** Nothing is ready and the call asked not to wait. */
  E_AGAIN: -10,
  /** The operation was cancelled. */
  E_CANCELED: -11,
  /** The caller's capability space has no free slot. */
  E_FULL: -12,
  /** Not a primitive of this kernel. */
  E_NOSYS: -38,
} as const;

export type ExoErrorCode = keyof typeof ExoErrno;

export class ExoError extends Error {
  override readonly name = 'ExoError';
  constructor(
    readonly code: ExoErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }

  /** The value a guest sees in RAX. */
  get errno(): number {
    return ExoErrno[this.code];
  }
}

/** caplattice's refusals in the kernel's vocabulary (the message keeps caplattice's explanation). */
export function fromCapLattice(e: unknown, op: string): unknown {
  if (e instanceof CapabilityError) {
    const code: ExoErrorCode =
      e.code === 'INVALID_ID'
        ? 'E_BADCAP'
        : e.code === 'LABEL_ESCALATION'
          ? 'E_LABEL'
          : e.code === 'SPACE_FULL'
            ? 'E_FULL'
            : e.code === 'REVOKE_IN_PROGRESS'
              ? 'E_STATE'
              : e.code === 'BADGE_CHANGE'
                ? 'E_INVAL'
                : 'E_RIGHTS';
    return new ExoError(code, `${op}: ${e.message}`);
  }
  if (e instanceof FlowError) return new ExoError('E_LABEL', `${op}: ${e.message}`);
  return e;
}

/** Throws E_INVAL unless `value` is an integer in [min, max]. */
export function checkInteger(op: string, what: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ExoError(
      'E_INVAL',
      `${op}: ${what} must be an integer in [${min}, ${max}], got ${String(value)}`,
    );
  }
  return value;
}
