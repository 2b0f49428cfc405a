// Wall-clock times of one IANA zone ↔ instants, as PostgreSQL converts them, computed here so
// that rows go to the rides table by COPY with their instants and service day already set (an
// INSERT … SELECT evaluating `at time zone` per row costs the database twice the time).
// Offsets come from Intl, cached per quarter hour: a month of rides needs about 3,000 lookups.
// At a transition PostgreSQL's rule applies: a time in the spring-forward gap takes the offset
// from before it; an ambiguous fall-back time takes the offset from after it (the later instant).
// test/application/ingest/zoneClock.test.ts checks both against the database.
const QUARTER_HOUR = 900_000;
const DAY = 86_400_000;
const CACHE_LIMIT = 200_000;

// Offsets by zone, shared by every clock of the zone: a TLC load into New York days has two clocks
// of that zone (the file's and the service days'), and each lookup is an Intl formatToParts call
// (a few µs; a month of rides needs thousands).
const OFFSETS_BY_ZONE = new Map<string, Map<number, number>>();

export class ZoneClock {
  private readonly offsets: Map<number, number>;
  private readonly format: Intl.DateTimeFormat | null;
  // the last quarter hour looked up, and the last wall-clock day found free of transitions:
  // rows come roughly in time order, so most conversions end here
  private lastBucket = NaN;
  private lastOffset = 0;
  private lastPlainDay = NaN;
  private lastPlainOffset = 0;

  constructor(readonly zone: string) {
    let offsets = OFFSETS_BY_ZONE.get(zone);
    if (offsets === undefined) OFFSETS_BY_ZONE.set(zone, (offsets = new Map()));
    this.offsets = offsets;
    this.format = zone === 'UTC' || zone === 'Etc/UTC' ? null : new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /** Offset from UTC (ms, east positive) in force at an instant. */
  offsetAt(instantMs: number): number {
    if (this.format === null) return 0;
    const bucket = Math.floor(instantMs / QUARTER_HOUR);
    if (bucket === this.lastBucket) return this.lastOffset;
    let offset = this.offsets.get(bucket);
    if (offset === undefined) {
      if (this.offsets.size >= CACHE_LIMIT) this.offsets.clear();
      offset = this.lookUp(bucket * QUARTER_HOUR);
      this.offsets.set(bucket, offset);
    }
    this.lastBucket = bucket;
    this.lastOffset = offset;
    return offset;
  }

  /** The instant of a wall-clock time (ms since 1970 read as if UTC). */
  instantOf(wallMs: number): number {
    const day = Math.floor(wallMs / DAY);
    if (day === this.lastPlainDay) return wallMs - this.lastPlainOffset;
    const before = this.offsetAt(wallMs - DAY);
    const after = this.offsetAt(wallMs + DAY);
    if (before === after) {
      // one offset from a day before to a day after: the whole wall-clock day has it
      if (this.offsetAt(day * DAY - DAY) === before && this.offsetAt(day * DAY + 2 * DAY) === before) {
        this.lastPlainDay = day;
        this.lastPlainOffset = before;
      }
      return wallMs - before;
    }
    const asBefore = wallMs - before;
    const asAfter = wallMs - after;
    const beforeHolds = this.offsetAt(asBefore) === before;
    const afterHolds = this.offsetAt(asAfter) === after;
    if (afterHolds) return asAfter; // the only reading, or the later of two (fall back)
    if (beforeHolds) return asBefore;
    return asBefore; // in the gap (spring forward)
  }

  /**
   * The earlier instant of an ambiguous wall-clock time (the repeated hour of a fall back), whose
   * later instant instantOf gives; NaN for a time with one reading.
   */
  earlierInstantOf(wallMs: number): number {
    if (Math.floor(wallMs / DAY) === this.lastPlainDay) return NaN;
    const before = this.offsetAt(wallMs - DAY);
    const after = this.offsetAt(wallMs + DAY);
    if (before <= after) return NaN; // no transition near, or a spring forward
    const asBefore = wallMs - before;
    const asAfter = wallMs - after;
    return this.offsetAt(asBefore) === before && this.offsetAt(asAfter) === after ? asBefore : NaN;
  }

  /** The local date of an instant, as days since 1970-01-01. */
  localDay(instantMs: number): number {
    return Math.floor((instantMs + this.offsetAt(instantMs)) / DAY);
  }

  private lookUp(instantMs: number): number {
    const parts = this.format!.formatToParts(new Date(instantMs));
    const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
    const wall = new Date(0);
    wall.setUTCFullYear(get('year'), get('month') - 1, get('day')); // unlike Date.UTC, right for years 0–99
    wall.setUTCHours(get('hour'), get('minute'), get('second'));
    return wall.getTime() - instantMs;
  }
}
