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
  /** A range of I/O ports; id = its first port (see devices.ts). */
  IO_PORTS: 'ioport',
  /** An interrupt line; id = I/O APIC pin. */
  IRQ: 'irq',
  /** The machine timer; id = 0. */
  TIMER: 'timer',
  /** A range of disk sectors; id = extent number. */
  BLOCK_EXTENT: 'blkext',
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

/** What the first environment receives for each device resource. */
export const IO_PORT_RIGHTS =
  Rights.READ | Rights.WRITE | Rights.GRANT | Rights.REVOKE | Rights.TRANSFER | Rights.DUPLICATE;
export const IRQ_RIGHTS = Rights.IRQ | Rights.GRANT | Rights.REVOKE | Rights.TRANSFER | Rights.DUPLICATE;
export const TIMER_RIGHTS =
  Rights.TIMER | Rights.READ | Rights.GRANT | Rights.REVOKE | Rights.TRANSFER | Rights.DUPLICATE;
export const BLOCK_EXTENT_RIGHTS =
  Rights.READ | Rights.WRITE | Rights.GRANT | Rights.REVOKE | Rights.TRANSFER | Rights.DUPLICATE;
