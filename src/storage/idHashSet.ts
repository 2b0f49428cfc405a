// Which ride ids a load has written to its new days' tables so far, kept as two 32-bit hashes and
// the day, not as strings: a million id strings kept for the whole load would live in the old
// generation and cost the garbage collector more than the lookups save. A hit is a candidate
// only (the loader confirms it in the database); a miss is certain, so a ride is never taken for
// present on a hash alone.
export class IdHashSet {
  private size = 0;
  private h1 = new Int32Array(1 << 16);
  private h2 = new Int32Array(1 << 16);
  /** day + 1 of the entry; 0 = empty slot */
  private days = new Int32Array(1 << 16);

  /**
   * Adds an id (by its two hashes) written on a day (days since 1970-01-01). When the table is
   * full, the entries of days `keep` no longer holds (their rows are found in rides itself) are
   * dropped, and it grows only if that does not free enough.
   */
  add(hash1: number, hash2: number, day: number, keep: (day: number) => boolean): void {
    if ((this.size + 1) * 2 > this.days.length) {
      let live = 0;
      for (let i = 0; i < this.days.length; i++) if (this.days[i] !== 0 && keep(this.days[i] - 1)) live++;
      this.rehash((live + 1) * 4 > this.days.length ? this.days.length * 2 : this.days.length, keep);
    }
    this.put(hash1, hash2, day);
  }

  /** Whether an id with these hashes was added on a day within one of `day` that `keep` still holds. */
  mayHaveNear(hash1: number, hash2: number, day: number, keep: (day: number) => boolean): boolean {
    const mask = this.days.length - 1;
    for (let slot = hash1 & mask; ; slot = (slot + 1) & mask) {
      const stored = this.days[slot];
      if (stored === 0) return false;
      if (this.h1[slot] === hash1 && this.h2[slot] === hash2) {
        const d = stored - 1;
        if (d >= day - 1 && d <= day + 1 && keep(d)) return true;
      }
    }
  }

  private put(hash1: number, hash2: number, day: number): void {
    const mask = this.days.length - 1;
    let slot = hash1 & mask;
    while (this.days[slot] !== 0) slot = (slot + 1) & mask;
    this.h1[slot] = hash1;
    this.h2[slot] = hash2;
    this.days[slot] = day + 1;
    this.size++;
  }

  private rehash(length: number, keep: (day: number) => boolean): void {
    const { h1, h2, days } = this;
    this.h1 = new Int32Array(length);
    this.h2 = new Int32Array(length);
    this.days = new Int32Array(length);
    this.size = 0;
    for (let i = 0; i < days.length; i++) {
      if (days[i] !== 0 && keep(days[i] - 1)) this.put(h1[i], h2[i], days[i] - 1);
    }
  }
}
