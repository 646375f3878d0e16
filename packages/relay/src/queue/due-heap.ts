/**
 * The spool's schedule: pending message ids by when they are due (then by id, i.e. oldest first).
 * A map holds each id's current time; a binary heap orders them lazily — entries whose time has
 * changed since they were pushed are skipped when they surface — so taking the next due message
 * costs O(log n) even with a large backlog.
 */
interface Entry {
  readonly at: number;
  readonly id: string;
}

const before = (a: Entry, b: Entry): boolean => a.at < b.at || (a.at === b.at && a.id < b.id);

export class DueSchedule<Extra> {
  private readonly current = new Map<string, { at: number } & Extra>();
  private readonly heap: Entry[] = [];

  get size(): number {
    return this.current.size;
  }

  get(id: string): ({ at: number } & Extra) | undefined {
    return this.current.get(id);
  }

  has(id: string): boolean {
    return this.current.has(id);
  }

  ids(): IterableIterator<string> {
    return this.current.keys();
  }

  set(id: string, value: { at: number } & Extra): void {
    const previous = this.current.get(id);
    this.current.set(id, value);
    if (previous?.at !== value.at) this.push({ at: value.at, id });
    // Stale entries pile up only with many reschedules; rebuild when they dominate.
    if (this.heap.length > 2 * this.current.size + 1_024) this.rebuild();
  }

  delete(id: string): void {
    this.current.delete(id);
  }

  /** Removes and returns the id due first, if it is due at `now`. */
  takeDue(now: number): string | undefined {
    for (;;) {
      const top = this.heap[0];
      if (!top) return undefined;
      const live = this.current.get(top.id);
      if (live === undefined || live.at !== top.at) {
        this.pop();
        continue;
      }
      if (top.at > now) return undefined;
      this.pop();
      this.current.delete(top.id);
      return top.id;
    }
  }

  /** When the next message is due (Infinity when none). */
  nextAt(): number {
    for (;;) {
      const top = this.heap[0];
      if (!top) return Number.POSITIVE_INFINITY;
      const live = this.current.get(top.id);
      if (live !== undefined && live.at === top.at) return top.at;
      this.pop();
    }
  }

  private rebuild(): void {
    this.heap.length = 0;
    for (const [id, { at }] of this.current) this.push({ at, id });
  }

  private push(entry: Entry): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i] as Entry, heap[parent] as Entry)) break;
      [heap[i], heap[parent]] = [heap[parent] as Entry, heap[i] as Entry];
      i = parent;
    }
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (heap.length === 0 || last === undefined) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && before(heap[left] as Entry, heap[smallest] as Entry)) smallest = left;
      if (right < heap.length && before(heap[right] as Entry, heap[smallest] as Entry)) smallest = right;
      if (smallest === i) return;
      [heap[i], heap[smallest]] = [heap[smallest] as Entry, heap[i] as Entry];
      i = smallest;
    }
  }
}
