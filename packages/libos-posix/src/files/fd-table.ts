/**
 * A process's file descriptors: small integers naming open file descriptions, each with its own
 * close-on-exec flag. fork copies the table (sharing the descriptions), exec closes the close-on-exec
 * ones, exit closes them all.
 */
import { fail } from '../errno';
import type { OpenFile } from './open-file';

/** RLIMIT_NOFILE's usual soft limit. */
export const MAX_FDS = 1024;

interface Slot {
  file: OpenFile;
  cloexec: boolean;
}

export class FdTable {
  private readonly slots = new Map<number, Slot>();

  get(fd: number): OpenFile {
    const slot = this.slots.get(fd);
    if (slot === undefined) fail('EBADF', `fd ${fd} is not open`);
    return slot.file;
  }

  has(fd: number): boolean {
    return this.slots.has(fd);
  }

  /** Every open description (one per descriptor, so a shared one may appear more than once). */
  files(): OpenFile[] {
    return [...this.slots.values()].map((slot) => slot.file);
  }

  /** Installs `file` at the lowest free descriptor >= `from` (EMFILE when none). */
  add(file: OpenFile, cloexec = false, from = 0): number {
    for (let fd = from; fd < MAX_FDS; fd++) {
      if (!this.slots.has(fd)) {
        this.slots.set(fd, { file: file.retain(), cloexec });
        return fd;
      }
    }
    fail('EMFILE');
  }

  /** dup2/dup3: `fd` names `file`, closing what it named before. */
  set(fd: number, file: OpenFile, cloexec = false): void {
    if (!Number.isInteger(fd) || fd < 0 || fd >= MAX_FDS) fail('EBADF', `fd ${fd} out of range`);
    file.retain();
    this.close(fd, false);
    this.slots.set(fd, { file, cloexec });
  }

  close(fd: number, mustExist = true): void {
    const slot = this.slots.get(fd);
    if (slot === undefined) {
      if (mustExist) fail('EBADF', `fd ${fd} is not open`);
      return;
    }
    this.slots.delete(fd);
    slot.file.release();
  }

  getCloexec(fd: number): boolean {
    this.get(fd);
    return (this.slots.get(fd) as Slot).cloexec;
  }

  setCloexec(fd: number, on: boolean): void {
    this.get(fd);
    (this.slots.get(fd) as Slot).cloexec = on;
  }

  /** For fork: the same descriptions under the same numbers. */
  clone(): FdTable {
    const copy = new FdTable();
    for (const [fd, slot] of this.slots)
      copy.slots.set(fd, { file: slot.file.retain(), cloexec: slot.cloexec });
    return copy;
  }

  closeOnExec(): void {
    for (const [fd, slot] of [...this.slots]) if (slot.cloexec) this.close(fd);
  }

  closeAll(): void {
    for (const fd of [...this.slots.keys()]) this.close(fd);
  }

  /** Open descriptors in ascending order. */
  list(): number[] {
    return [...this.slots.keys()].sort((a, b) => a - b);
  }
}
