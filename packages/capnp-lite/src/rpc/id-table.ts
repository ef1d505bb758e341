/**
 * Ids this side chooses (question ids, export ids, embargo ids): small integers, reused once free, the
 * most recently freed first, as the protocol expects of a table indexed by id.
 */
export class IdTable<T> {
  private readonly entries = new Map<number, T>();
  private readonly free: number[] = [];
  private next = 0;

  add(value: T): number {
    const id = this.free.pop() ?? this.next++;
    this.entries.set(id, value);
    return id;
  }

  get(id: number): T | undefined {
    return this.entries.get(id);
  }

  delete(id: number): void {
    if (this.entries.delete(id)) this.free.push(id);
  }

  get size(): number {
    return this.entries.size;
  }

  values(): IterableIterator<T> {
    return this.entries.values();
  }

  clear(): void {
    this.entries.clear();
    this.free.length = 0;
  }
}
