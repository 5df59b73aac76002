/** A write the {@link FencedResource} refused because its token was older than one already seen. */
export interface RejectedWrite {
  /** Who wrote (free text, e.g. `"provider 2"`). */
  readonly holder: string;
  /** The stale token. */
  readonly token: bigint;
  /** The highest token seen before this write. */
  readonly highest: bigint;
}

/**
 * The fenced-resource oracle: a stand-in for a storage service that protects itself with fencing
 * tokens. It accepts a write only if its token is at least the highest token it has seen, and
 * records every refused write. A correct provider produces zero refusals; a lock that lets two
 * holders overlap, or hands out tokens that do not grow, produces refusals as soon as an older
 * holder writes after a newer one.
 */
export class FencedResource {
  private highestToken: bigint | undefined;
  private readonly refused: RejectedWrite[] = [];
  private accepted = 0;
  private unfenced = 0;

  /** Writes with `token`; returns whether the write was accepted. `undefined` tokens are counted, never refused. */
  write(token: bigint | undefined, holder: string): boolean {
    if (token === undefined) {
      this.unfenced++;
      return true;
    }
    if (typeof token !== "bigint") {
      throw new TypeError(`fencingToken must be a bigint, got ${typeof token}`);
    }
    if (this.highestToken !== undefined && token < this.highestToken) {
      this.refused.push({ holder, token, highest: this.highestToken });
      return false;
    }
    this.highestToken = token;
    this.accepted++;
    return true;
  }

  /** Writes refused so far. */
  get rejections(): readonly RejectedWrite[] {
    return this.refused;
  }

  /** Number of accepted fenced writes. */
  get acceptedWrites(): number {
    return this.accepted;
  }

  /** Number of writes that carried no token (the provider has no fencing). */
  get unfencedWrites(): number {
    return this.unfenced;
  }

  /** The highest token seen, if any. */
  get highest(): bigint | undefined {
    return this.highestToken;
  }
}
