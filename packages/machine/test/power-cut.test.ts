import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BlockBackend, MemoryBlockBackend } from '@exov6/hal-x86';
import { expect, test } from 'vitest';
import { Machine, makeDiskImage, stageDefaultRoot } from '../src/index';

class CountingDisk implements BlockBackend {
  writes = 0; flushes = 0; bytes = 0;
  constructor(readonly inner: MemoryBlockBackend) {}
  get size() { return this.inner.size; }
  get readOnly() { return this.inner.readOnly; }
  read(o: number, i: Uint8Array) { this.inner.read(o, i); }
  write(o: number, d: Uint8Array) { this.writes++; this.bytes += d.length; this.inner.write(o, d); }
  flush() { this.flushes++; }
}

const SCRIPT = process.env.PC_SCRIPT ?? 'echo hi; ls /dev; echo abc | dd of=/tmp/x bs=4096 conv=fsync; echo "synced /tmp/x"; cat /tmp/x';

test('scratch', () => {
  const work = mkdtempSync(join(tmpdir(), 'pc-'));
  stageDefaultRoot(join(work, 'root'));
  const image = makeDiskImage(join(work, 'root'), null, { sizeMiB: 32, owner: { uid: 0, gid: 0 }, time: 1_700_000_000 }).image as Uint8Array;
  const t0 = performance.now();
  const disk = new CountingDisk(new MemoryBlockBackend(image.slice()));
  const machine = new Machine({ disk, memoryMiB: 96 });
  const boot = disk.writes;
  const t1 = performance.now();
  const lines: string[] = [];
  const rd = machine.rootDisk!;
  const stop = rd.stop.bind(rd);
  let atStop = -1;
  rd.stop = () => { atStop = disk.writes; stop(); };
  let buf = '';
  const r = machine.run(['/bin/sh', '-c', SCRIPT], { onStdout: (d) => { buf += Buffer.from(d).toString(); let k; while ((k = buf.indexOf('\n')) >= 0) { const l = buf.slice(0, k); buf = buf.slice(k + 1); lines.push(`${l} @${disk.writes}/${disk.flushes} t=${(performance.now()-t1).toFixed(0)} i=${machine.kernel.cpu.instret}`); } } });
  const t2 = performance.now();
  console.log({ boot, atStop, total: disk.writes, flushes: disk.flushes, bytes: disk.bytes, bootMs: t1 - t0, runMs: t2 - t1, status: r.status, instr: r.instructions });
  console.log(r.stdout.slice(0, 3000)); console.log(r.stderr.slice(0, 2000));
  console.log(lines.join('\n'));
  rmSync(work, { recursive: true, force: true });
  expect(1).toBe(1);
});
