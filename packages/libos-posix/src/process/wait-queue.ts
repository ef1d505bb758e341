/**
 * Processes waiting for something (data in a pipe, a child's exit). A system call that cannot complete
 * yet parks its process here and is restarted from the top when woken, so a wake-up never has to carry a
 * result: the call simply runs again and either completes or waits again.
 */
export class WaitQueue {
  private readonly waiters = new Set<() => void>();

  /** Calls `wake` once, at the next `wakeAll`. */
  add(wake: () => void): void {
    this.waiters.add(wake);
  }

  remove(wake: () => void): void {
    this.waiters.delete(wake);
  }

  wakeAll(): void {
    if (this.waiters.size === 0) return;
    const woken = [...this.waiters];
    this.waiters.clear();
    for (const wake of woken) wake();
  }

  get size(): number {
    return this.waiters.size;
  }
}
