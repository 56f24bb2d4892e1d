const NOTHING: ReadonlySet<string> = new Set();

/**
 * A set of strings that holds no hash table while empty. An empty `Set` still costs about 190
 * bytes; a ZooKeeper path mirror keeps several that are empty nearly always (10,000 mirrors at
 * 10,000 services), so these cost a pointer until something is added.
 */
export class SparseSet {
  private members?: Set<string>;

  add(value: string): void {
    (this.members ??= new Set()).add(value);
  }

  has(value: string): boolean {
    return this.members?.has(value) ?? false;
  }

  delete(value: string): void {
    if (this.members?.delete(value) && this.members.size === 0) this.members = undefined;
  }

  get size(): number {
    return this.members?.size ?? 0;
  }

  clear(): void {
    this.members = undefined;
  }

  [Symbol.iterator](): IterableIterator<string> {
    return (this.members ?? NOTHING).values();
  }
}
