/**
 * Device capabilities: a library OS drives the PC's devices through capability-checked primitives — the
 * UART and the PIT register by register through port ranges, interrupts as upcalls on attached lines,
 * timer upcalls on the machine clock, and disk sectors moved by DMA into frames it holds.
 */
import { Rights } from '@exov6/caplattice';
import { MemoryBlockBackend } from '@exov6/hal-x86';
import { describe, expect, it } from 'vitest';
import { type BootCapabilities, type EnvApi, Exokernel } from '../src/index';
import { code } from './support/error-code';

const DISK_BYTES = 1 << 20;

function boot(disk = new MemoryBlockBackend(DISK_BYTES)) {
  const kernel = new Exokernel({ memoryBytes: 8 << 20, platform: { disk } });
  const root = kernel.createRootEnvironment({ quota: 256 });
  const os = kernel.bind(root);
  return { kernel, root, os, caps: os.bootCapabilities() as BootCapabilities, disk };
}

/** What a UART driver does first: 115200 8N1, FIFOs on. */
function initUart(os: EnvApi, com1: number): void {
  os.portOut(com1, 3, 1, 0x80); // LCR: DLAB
  os.portOut(com1, 0, 1, 1); // DLL: divisor 1
  os.portOut(com1, 1, 1, 0);
  os.portOut(com1, 3, 1, 0x03); // 8N1
  os.portOut(com1, 2, 1, 0x07); // FIFOs on and reset
  os.portOut(com1, 4, 1, 0x0b); // DTR, RTS, OUT2
}

describe('device capabilities', () => {
  it('the first environment drives COM1 through its port range; output appears as machine time passes', () => {
    const { kernel, os, caps } = boot();
    initUart(os, caps.ports.com1);
    expect(os.portIn(caps.ports.com1, 5, 1) & 0x60).toBe(0x60); // LSR: THRE and TEMT
    for (const c of new TextEncoder().encode('hi\n')) os.portOut(caps.ports.com1, 0, 1, c);
    let woke = -1;
    os.setUpcalls({ timer: (e) => (woke = e.now) });
    os.timerSet(caps.timer, 1_000_000);
    expect(kernel.run().reason).toBe('idle');
    expect(woke).toBe(1_000_000); // the machine idled to the deadline
    expect(os.clockNow(caps.timer)).toBe(1_000_000);
    const serial = kernel.devices?.platform.serial;
    expect(new TextDecoder().decode(serial?.takeOutput())).toBe('hi\n');
  });

  it('a timer handler that re-arms for ever with nothing to run does not keep run() from returning', () => {
    const { kernel, os, caps } = boot();
    let fired = 0;
    os.setUpcalls({
      timer: (e) => {
        fired++;
        os.timerSet(caps.timer, e.now + 1_000);
      },
    });
    os.timerSet(caps.timer, 1_000);
    // Each idle period (virtual time skipping to the next deadline) counts as a slice.
    expect(kernel.run({ maxSlices: 50 })).toEqual({ reason: 'slice-limit', instructions: 0, slices: 50 });
    // The run stopped as the machine reached the 50th deadline; its upcall comes first in the next run.
    expect(os.clockNow(caps.timer)).toBe(50_000);
    expect(fired).toBe(49);
    kernel.run({ maxSlices: 1 });
    expect(fired).toBe(50);
  });

  it('PIT interrupts arrive as upcalls on the attached line, at the PIT’s rate', () => {
    const { kernel, os, caps } = boot();
    const ticks: number[] = [];
    os.setUpcalls({
      interrupt: (e) => {
        expect(e.irq).toBe(2);
        ticks.push(os.clockNow(caps.timer));
      },
      timer: () => {},
    });
    os.irqAttach(caps.irqs.pit);
    os.portOut(caps.ports.pit, 3, 1, 0x34); // counter 0, LSB/MSB, mode 2
    os.portOut(caps.ports.pit, 0, 1, 1193 & 0xff);
    os.portOut(caps.ports.pit, 0, 1, 1193 >> 8);
    os.timerSet(caps.timer, 10_500_000);
    kernel.run();
    expect(ticks.length).toBe(10);
    for (let k = 1; k < ticks.length; k++) {
      expect(
        Math.abs((ticks[k] as number) - (ticks[k - 1] as number) - 1193e9 / 1_193_182),
      ).toBeLessThanOrEqual(1);
    }
    os.irqDetach(caps.irqs.pit);
    os.timerSet(caps.timer, 20_000_000);
    kernel.run();
    expect(ticks.length).toBe(10); // the line is masked again
  });

  it('moves sectors by DMA into frames the caller holds, within its extent', () => {
    const { os, caps, disk } = boot();
    const extent = caps.disk as number;
    expect(os.blkInfo(extent).sectors).toBe(DISK_BYTES / 512);
    const frame = os.frameAlloc();
    os.frameWrite(frame, 512, new TextEncoder().encode('sector five'));
    os.blkWrite(extent, 5, 1, frame, 512);
    expect(new TextDecoder().decode(disk.bytes.subarray(5 * 512, 5 * 512 + 11))).toBe('sector five');
    const other = os.frameAlloc();
    os.blkRead(extent, 5, 2, other, 0);
    expect(new TextDecoder().decode(os.frameRead(other, 0, 11))).toBe('sector five');
    os.blkFlush(extent);

    // A sub-extent reaches only its sectors: sector 0 of it is sector 100 of the disk.
    const part = os.blkSplit(extent, 100, 10);
    expect(os.blkInfo(part).sectors).toBe(10);
    os.blkWrite(part, 0, 1, frame, 512);
    expect(new TextDecoder().decode(disk.bytes.subarray(100 * 512, 100 * 512 + 11))).toBe('sector five');
    expect(code(() => os.blkWrite(part, 10, 1, frame, 0))).toBe('E_INVAL');
    expect(code(() => os.blkWrite(part, 9, 2, frame, 0))).toBe('E_INVAL');
    expect(code(() => os.blkSplit(part, 5, 6))).toBe('E_INVAL');

    // DMA is checked against the frame capability: no DMA right, or no WRITE for a read, is refused.
    const noDma = os.capDerive(frame, { rights: Rights.READ | Rights.WRITE });
    expect(code(() => os.blkRead(extent, 0, 1, noDma, 0))).toBe('E_RIGHTS');
    const readOnly = os.capDerive(frame, { rights: Rights.READ | Rights.DMA });
    expect(code(() => os.blkRead(extent, 0, 1, readOnly, 0))).toBe('E_RIGHTS');
    os.blkWrite(extent, 0, 1, readOnly, 0);
    const readOnlyExtent = os.capDerive(extent, { rights: Rights.READ });
    expect(code(() => os.blkWrite(readOnlyExtent, 0, 1, frame, 0))).toBe('E_RIGHTS');
    expect(code(() => os.blkRead(extent, 0, 9, frame, 0))).toBe('E_INVAL'); // more than a frame
    expect(code(() => os.blkRead(extent, 0, 1, frame, 100))).toBe('E_INVAL'); // not sector-aligned
  });

  it('are reached only through capabilities: a child gets exactly what it is granted', () => {
    const { kernel, root, os, caps } = boot();
    const childCap = os.envCreate({ quota: 8 });
    const child = kernel.bind(kernel.environmentOf(root, childCap));
    expect(child.bootCapabilities()).toBeNull();
    expect(code(() => child.portIn(caps.ports.com1, 0, 1))).not.toBe('ok');
    const com1ReadOnly = os.capGrant(caps.ports.com1, { rights: Rights.READ }, childCap);
    expect(child.portIn(com1ReadOnly, 5, 1) & 0x60).toBe(0x60);
    expect(code(() => child.portOut(com1ReadOnly, 0, 1, 65))).toBe('E_RIGHTS');
    expect(code(() => child.portIn(com1ReadOnly, 8, 1))).toBe('E_INVAL'); // outside COM1's eight ports
    expect(code(() => child.portIn(com1ReadOnly, 7, 2))).toBe('E_INVAL');
    expect(code(() => child.portIn(com1ReadOnly, 0, 3))).toBe('E_INVAL');

    // One owner per interrupt line.
    const irq = os.capGrant(caps.irqs.com1, { rights: Rights.IRQ }, childCap);
    os.irqAttach(caps.irqs.com1);
    expect(code(() => child.irqAttach(irq))).toBe('E_STATE');
    os.irqDetach(caps.irqs.com1);
    child.irqAttach(irq);
    os.envKill(childCap); // its lines are released when it ends
    os.irqAttach(caps.irqs.com1);
  });

  it('a machine without devices refuses device primitives', () => {
    const kernel = new Exokernel({ memoryBytes: 4 << 20 });
    const os = kernel.bind(kernel.createRootEnvironment());
    expect(os.bootCapabilities()).toBeNull();
    expect(kernel.devices).toBeNull();
  });
});
