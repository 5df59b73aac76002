/** One critical section: when a holder held the lock, on the shared monotonic clock (ms). */
export interface Hold {
  /** Who held it (free text, e.g. `"child 1 / provider 0"`). */
  readonly holder: string;
  /** Taken right after `acquire` resolved. */
  readonly start: number;
  /** Taken right before `release` was called. */
  readonly end: number;
  /** The handle's fencing token, if any. */
  readonly token?: bigint | undefined;
}

/** Two holds that overlapped in time: a mutual-exclusion violation. */
export interface Overlap {
  readonly first: Hold;
  readonly second: Hold;
}

/**
 * The history checker: collects hold intervals and finds any two that overlap. Intervals are
 * recorded inside the critical section (start after the grant, end before the release), so for a
 * correct lock each interval ends strictly before the next one starts and no tolerance is needed.
 */
export class HoldHistory {
  private readonly items: Hold[] = [];

  /** Records one hold. */
  record(hold: Hold): void {
    if (!(hold.end >= hold.start)) {
      throw new RangeError(
        `hold of ${hold.holder} ends (${hold.end}) before it starts (${hold.start})`,
      );
    }
    this.items.push(hold);
  }

  /** Every hold recorded so far. */
  get holds(): readonly Hold[] {
    return this.items;
  }

  /** Overlapping pairs, in start order (at most `limit`, default 10). Empty for a correct lock. */
  overlaps(limit = 10): Overlap[] {
    const sorted = [...this.items].sort((a, b) => a.start - b.start);
    const found: Overlap[] = [];
    let latest: Hold | undefined;
    for (const hold of sorted) {
      if (latest && hold.start < latest.end) {
        found.push({ first: latest, second: hold });
        if (found.length >= limit) break;
      }
      if (!latest || hold.end > latest.end) latest = hold;
    }
    return found;
  }

  /** Fencing tokens that did not strictly increase in hold order (at most `limit`, default 10). */
  tokenRegressions(limit = 10): Overlap[] {
    const sorted = [...this.items]
      .filter((hold) => hold.token !== undefined)
      .sort((a, b) => a.start - b.start);
    const found: Overlap[] = [];
    for (let i = 1; i < sorted.length && found.length < limit; i++) {
      const before = sorted[i - 1]!;
      const after = sorted[i]!;
      if (after.token! <= before.token!) found.push({ first: before, second: after });
    }
    return found;
  }
}

/** Formats an overlap for an assertion message. */
export function describeOverlap({ first, second }: Overlap): string {
  const fmt = (h: Hold) =>
    `${h.holder} [${h.start.toFixed(3)}, ${h.end.toFixed(3)}]${h.token === undefined ? "" : ` token ${h.token}`}`;
  return `${fmt(first)} overlaps ${fmt(second)}`;
}
