/**
 * A block device as the file-system server sees it: the disk extent its capability names, read and written
 * by DMA into a bounce frame the server holds (the exokernel checks both capabilities on every transfer),
 * as a `BlockBackend` the ext2 code can use. Transfers are sector-aligned (ext2 only asks for whole blocks
 * and the superblock) and move at most a frame at a time.
 */
import type { EnvApi } from '@exov6/exokernel';
import { BlockBackendError, type BlockBackend } from '@exov6/hal-x86';

const SECTOR = 512;
const FRAME = 4096;

export class ExtentBlockDevice implements BlockBackend {
  readonly size: number;
  private readonly bounce: number;
  /** Transfers made, for the server's statistics. */
  reads = 0;
  writes = 0;

  constructor(
    private readonly api: EnvApi,
    private readonly extent: number,
    readonly readOnly = false,
  ) {
    this.size = api.blkInfo(extent).sectors * SECTOR;
    this.bounce = api.frameAlloc();
  }

  private check(offset: number, length: number): void {
    if (offset % SECTOR !== 0 || length % SECTOR !== 0 || offset < 0 || offset + length > this.size) {
      throw new BlockBackendError(
        `extent access ${offset}+${length} is not whole sectors inside ${this.size} bytes`,
      );
    }
  }

  read(offset: number, into: Uint8Array): void {
    this.check(offset, into.length);
    for (let done = 0; done < into.length; done += FRAME) {
      const n = Math.min(FRAME, into.length - done);
      this.api.blkRead(this.extent, (offset + done) / SECTOR, n / SECTOR, this.bounce, 0);
      into.set(this.api.frameRead(this.bounce, 0, n), done);
      this.reads++;
    }
  }

  write(offset: number, data: Uint8Array): void {
    if (this.readOnly) throw new BlockBackendError('write to a read-only extent');
    this.check(offset, data.length);
    for (let done = 0; done < data.length; done += FRAME) {
      const n = Math.min(FRAME, data.length - done);
      this.api.frameWrite(this.bounce, 0, data.subarray(done, done + n));
      this.api.blkWrite(this.extent, (offset + done) / SECTOR, n / SECTOR, this.bounce, 0);
      this.writes++;
    }
  }

  flush(): void {
    this.api.blkFlush(this.extent);
  }
}
