/**
 * The kinds of object the exokernel multiplexes, as they appear in caplattice capabilities
 * (`{ type, id }`), and the rights each primitive asks of them. Everything an environment can touch is
 * named by one of these capabilities in its own CapSpace.
 */
import { Rights } from '@exov6/caplattice';

export const ObjectType = {
  /** A 4 KiB physical frame; id = frame number (physical address / 4096). */
  FRAME: 'frame',
  /** An address space: a real PML4 the MMU walks; id = kernel-chosen number. */
  ADDRESS_SPACE: 'aspace',
  /** An environment (execution context); id = environment number. */
  ENVIRONMENT: 'env',
  /** An IPC endpoint; id = endpoint number. */
  ENDPOINT: 'endpoint',
} as const;

export type ObjectTypeName = (typeof ObjectType)[keyof typeof ObjectType];

/** Every right that means something for a frame: what its allocator receives. */
export const FRAME_RIGHTS =
  Rights.READ |
  Rights.WRITE |
  Rights.EXECUTE |
  Rights.MAP |
  Rights.GRANT |
  Rights.REVOKE |
  Rights.TRANSFER |
  Rights.DUPLICATE |
  Rights.DMA;

/** Every right that means something for an address space: what its creator receives. */
export const ADDRESS_SPACE_RIGHTS =
  Rights.READ | Rights.MAP | Rights.GRANT | Rights.REVOKE | Rights.TRANSFER | Rights.DUPLICATE;

/** Every right that means something for an environment: what its creator receives. */
export const ENVIRONMENT_RIGHTS =
  Rights.READ | Rights.INVOKE | Rights.GRANT | Rights.REVOKE | Rights.TRANSFER | Rights.DUPLICATE;

/** Every right that means something for an IPC endpoint: what its creator receives. */
export const ENDPOINT_RIGHTS =
  Rights.IPC_SEND | Rights.IPC_RECV | Rights.GRANT | Rights.REVOKE | Rights.TRANSFER | Rights.DUPLICATE;
