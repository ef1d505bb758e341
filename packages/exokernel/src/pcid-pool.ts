/**
 * The MMU context identifiers (PCIDs 1..4095) given to address spaces. Beyond 4095 live spaces the rest
 * share 0, which the run loop switches to with a flush (their translations are never kept).
 */
export class PcidPool {
  private next = 1;
  private readonly free: number[] = [];

  take(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    return this.next <= 4095 ? this.next++ : 0;
  }

  give(pcid: number): void {
    if (pcid !== 0) this.free.push(pcid);
  }
}
