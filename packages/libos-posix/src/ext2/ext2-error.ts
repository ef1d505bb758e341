/**
 * How the ext2 code refuses. `code` is either the errno name a POSIX caller gets (ENOENT, ENOSPC...) or
 * one of three ext2-specific reasons:
 * - CORRUPT: the image contradicts itself (a bad magic number, a directory entry running past its block,
 *   a block number outside the file system). Nothing is written after it is detected in that operation.
 * - UNSUPPORTED: the image uses an incompatible feature this implementation does not know (mounting is
 *   refused), or an inode uses a format ext2 does not have (extents, inline data).
 * - READ_ONLY: a change was asked of a file system mounted read-only (errno EROFS).
 */
import { ERRNO } from '@exov6/hal-x86';

export type Ext2ErrorCode =
  | 'CORRUPT'
  | 'UNSUPPORTED'
  | 'READ_ONLY'
  | 'ENOENT'
  | 'EPERM'
  | 'EEXIST'
  | 'ENOTDIR'
  | 'EISDIR'
  | 'ENOTEMPTY'
  | 'ENOSPC'
  | 'EFBIG'
  | 'ENAMETOOLONG'
  | 'EINVAL'
  | 'EMLINK'
  | 'ELOOP';

export class Ext2Error extends Error {
  override name = 'Ext2Error';
  constructor(
    readonly code: Ext2ErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }

  /** The Linux errno a system call reports for this refusal (EUCLEAN for a corrupt image, as Linux does). */
  get errno(): number {
    switch (this.code) {
      case 'CORRUPT':
        return ERRNO.EUCLEAN;
      case 'UNSUPPORTED':
        return ERRNO.EOPNOTSUPP;
      case 'READ_ONLY':
        return ERRNO.EROFS;
      default:
        return ERRNO[this.code];
    }
  }
}

export function corrupt(message: string): never {
  throw new Ext2Error('CORRUPT', message);
}

export function refuse(code: Ext2ErrorCode, message: string): never {
  throw new Ext2Error(code, message);
}
