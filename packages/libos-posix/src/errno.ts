/**
 * How a system call refuses. Deep inside the library OS (a path lookup, a copy from guest memory) a
 * refusal is thrown as a `SyscallError` carrying the Linux errno; the dispatcher turns it into the
 * negative value the guest sees in RAX. Anything else thrown is a bug in the library OS, and the
 * exokernel ends only that environment.
 */
import { ERRNO, ERRNO_NAMES } from '@exov6/hal-x86';

export { ERRNO };

export type ErrnoName = keyof typeof ERRNO;

export class SyscallError extends Error {
  override name = 'SyscallError';
  constructor(
    readonly errno: number,
    message?: string,
  ) {
    super(message ?? ERRNO_NAMES[errno] ?? `errno ${errno}`);
  }
}

/** Throws the refusal `name` (ENOENT, EBADF...), with an optional explanation for traces. */
export function fail(name: ErrnoName, why?: string): never {
  throw new SyscallError(ERRNO[name], why === undefined ? name : `${name}: ${why}`);
}
