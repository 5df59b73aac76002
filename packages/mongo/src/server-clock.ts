import { now } from "@locks/core/backend";
import type { Db } from "mongodb";
import { errorCode, MongoFeatureUnsupportedError } from "./errors.js";

/** Server code of an unknown command. */
const COMMAND_NOT_FOUND = 59;

/**
 * Reads the server's `localTime` (ms since the epoch) with `hello`, or with `isMaster` on servers
 * that lack `hello` (mongo-java-server): both replies carry it.
 */
export function localTimeReader(db: Db): () => Promise<number> {
  let command: "hello" | "isMaster" = "hello";
  return async () => {
    let reply: Record<string, unknown>;
    try {
      reply = await db.command({ [command]: 1 });
    } catch (error) {
      if (command !== "hello" || errorCode(error) !== COMMAND_NOT_FOUND) throw error;
      command = "isMaster";
      reply = await db.command({ isMaster: 1 });
    }
    const localTime: unknown = reply.localTime;
    if (!(localTime instanceof Date)) {
      throw new MongoFeatureUnsupportedError(`\`localTime\` in the ${command} reply`);
    }
    return localTime.getTime();
  };
}

/** One measurement of the server's clock. */
interface Sample {
  /** Server time stamped in the reply, ms since the epoch. */
  server: number;
  /** Local monotonic time the command was sent, ms. */
  sentAt: number;
  /** Local monotonic time the reply arrived, ms. */
  receivedAt: number;
}

/** Bounds on the server's current time, in ms since the epoch: the true value lies between. */
export interface ServerTimeBounds {
  lower: number;
  upper: number;
}

/** How often the offset is measured again, in milliseconds. */
const RESAMPLE_INTERVAL = 60_000;
/** Round trips per measurement; the fastest one is kept. */
const PROBES = 3;

/**
 * The server's clock as seen from this process, for servers where expiry cannot be decided with
 * `$$NOW`. The server stamps `localTime` (ms) somewhere inside the round trip of a `hello`, so the
 * server time now lies in `[stamp + (now − receivedAt), stamp + (now − sentAt) + 1]`. It advances on
 * the local monotonic clock, so local wall-clock jumps do not matter; the assumption is that the
 * server's clock and the local monotonic clock run at the same rate (no jumps on the server).
 */
export class ServerClock {
  private sample: Sample | undefined;
  private measuring: Promise<Sample> | undefined;

  /** `readServerTime` sends one command and returns the server's time stamp (ms since the epoch). */
  constructor(private readonly readServerTime: () => Promise<number>) {}

  /** Current bounds on the server's time; measures first when the last sample is old. */
  async bounds(): Promise<ServerTimeBounds> {
    let sample = this.sample;
    if (sample === undefined) {
      sample = await this.measure();
    } else if (now() - sample.receivedAt > RESAMPLE_INTERVAL) {
      // Refresh in the background; the previous sample stays valid meanwhile.
      void this.measure().catch(() => {});
    }
    const at = now();
    return {
      lower: sample.server + (at - sample.receivedAt),
      upper: sample.server + (at - sample.sentAt) + 1,
    };
  }

  /** Width of the uncertainty of the current sample, in ms (undefined before the first one). */
  get uncertainty(): number | undefined {
    return this.sample && this.sample.receivedAt - this.sample.sentAt + 1;
  }

  private measure(): Promise<Sample> {
    this.measuring ??= (async () => {
      try {
        let best: Sample | undefined;
        for (let i = 0; i < PROBES; i++) {
          const sentAt = now();
          const server = await this.readServerTime();
          const receivedAt = now();
          const sample = { server, sentAt, receivedAt };
          if (!best || receivedAt - sentAt < best.receivedAt - best.sentAt) best = sample;
        }
        this.sample = best!;
        return best!;
      } finally {
        this.measuring = undefined;
      }
    })();
    return this.measuring;
  }
}
