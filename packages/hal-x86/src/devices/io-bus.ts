/**
 * Port I/O and MMIO dispatch. Devices claim ranges of the 64 KiB port space or of the physical address space;
 * the privileged layer (or a driver in a test) reaches a device register through the bus exactly as an
 * IN/OUT instruction or a load/store to the device's MMIO window would.
 *
 * Unclaimed ports read as all ones and ignore writes, as on a PC with nothing decoding the address.
 */

/** Width of one register access in bytes. */
export type AccessSize = 1 | 2 | 4;

/** A device's port-I/O side. `port` is the absolute port number; values are `size` bytes wide, unsigned. */
export interface PortDevice {
  readPort(port: number, size: AccessSize): number;
  writePort(port: number, size: AccessSize, value: number): void;
}

/** A device's MMIO side. `offset` is relative to the base the device was mapped at. */
export interface MmioDevice {
  readMmio(offset: number, size: AccessSize): number;
  writeMmio(offset: number, size: AccessSize, value: number): void;
}

/** A range that overlaps another claim, or that lies outside the address space. */
export class BusError extends Error {
  override name = 'BusError';
}

interface Claim<D> {
  readonly base: number;
  readonly end: number;
  readonly name: string;
  readonly device: D;
}

const ALL_ONES: Record<AccessSize, number> = { 1: 0xff, 2: 0xffff, 4: 0xffffffff };

function checkSize(size: number): asserts size is AccessSize {
  if (size !== 1 && size !== 2 && size !== 4)
    throw new BusError(`access size ${size} is not 1, 2 or 4 bytes`);
}

/** Sorted, non-overlapping claims with lookup by address. Few devices, so a linear scan is plenty. */
class ClaimMap<D> {
  private readonly claims: Claim<D>[] = [];

  constructor(
    private readonly what: string,
    private readonly limit: number,
  ) {}

  add(base: number, length: number, device: D, name: string): void {
    if (!Number.isSafeInteger(base) || !Number.isSafeInteger(length) || base < 0 || length <= 0) {
      throw new BusError(`${name}: invalid ${this.what} range base=${base} length=${length}`);
    }
    const end = base + length;
    if (end > this.limit)
      throw new BusError(`${name}: ${this.what} range ends past 0x${this.limit.toString(16)}`);
    for (const c of this.claims) {
      if (base < c.end && c.base < end) {
        throw new BusError(
          `${name}: ${this.what} range 0x${base.toString(16)}-0x${(end - 1).toString(16)} overlaps ${c.name}`,
        );
      }
    }
    this.claims.push({ base, end, name, device });
    this.claims.sort((a, b) => a.base - b.base);
  }

  remove(device: D): void {
    for (let i = this.claims.length - 1; i >= 0; i--) {
      if ((this.claims[i] as Claim<D>).device === device) this.claims.splice(i, 1);
    }
  }

  find(address: number): Claim<D> | undefined {
    for (const c of this.claims) {
      if (address >= c.base && address < c.end) return c;
    }
    return undefined;
  }

  list(): { base: number; length: number; name: string }[] {
    return this.claims.map((c) => ({ base: c.base, length: c.end - c.base, name: c.name }));
  }
}

/** The 64 KiB x86 I/O port space. */
export class PortIoBus {
  private readonly map = new ClaimMap<PortDevice>('port', 0x10000);

  /** Claims ports [base, base + length) for `device`; overlapping claims are refused with a BusError. */
  register(base: number, length: number, device: PortDevice, name: string): void {
    this.map.add(base, length, device, name);
  }

  unregister(device: PortDevice): void {
    this.map.remove(device);
  }

  /** The claimed ranges, lowest first (for diagnostics). */
  claims(): { base: number; length: number; name: string }[] {
    return this.map.list();
  }

  read(port: number, size: AccessSize): number {
    checkSize(size);
    const claim = this.map.find(port & 0xffff);
    return claim === undefined
      ? ALL_ONES[size]
      : (claim.device.readPort(port & 0xffff, size) & ALL_ONES[size]) >>> 0;
  }

  write(port: number, size: AccessSize, value: number): void {
    checkSize(size);
    const claim = this.map.find(port & 0xffff);
    if (claim !== undefined) claim.device.writePort(port & 0xffff, size, (value & ALL_ONES[size]) >>> 0);
  }

  inb(port: number): number {
    return this.read(port, 1);
  }
  inw(port: number): number {
    return this.read(port, 2);
  }
  inl(port: number): number {
    return this.read(port, 4) >>> 0;
  }
  outb(port: number, value: number): void {
    this.write(port, 1, value);
  }
  outw(port: number, value: number): void {
    this.write(port, 2, value);
  }
  outl(port: number, value: number): void {
    this.write(port, 4, value);
  }
}

/** Device windows in the physical address space (below 2^52, the x86-64 physical limit). */
export class MmioBus {
  private readonly map = new ClaimMap<MmioDevice>('MMIO', 2 ** 52);

  /** Maps `device` at physical [base, base + length); overlapping windows are refused with a BusError. */
  register(base: number, length: number, device: MmioDevice, name: string): void {
    this.map.add(base, length, device, name);
  }

  unregister(device: MmioDevice): void {
    this.map.remove(device);
  }

  claims(): { base: number; length: number; name: string }[] {
    return this.map.list();
  }

  /** Whether a device decodes this physical address. */
  claimed(address: number): boolean {
    return this.map.find(address) !== undefined;
  }

  read(address: number, size: AccessSize): number {
    checkSize(size);
    const claim = this.map.find(address);
    return claim === undefined ? ALL_ONES[size] : claim.device.readMmio(address - claim.base, size) >>> 0;
  }

  write(address: number, size: AccessSize, value: number): void {
    checkSize(size);
    const claim = this.map.find(address);
    if (claim !== undefined)
      claim.device.writeMmio(address - claim.base, size, (value & ALL_ONES[size]) >>> 0);
  }

  read32(address: number): number {
    return this.read(address, 4);
  }
  write32(address: number, value: number): void {
    this.write(address, 4, value);
  }
}
