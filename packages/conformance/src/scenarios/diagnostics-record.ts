import diagnosticsChannel from "node:diagnostics_channel";

/** The documented `node:diagnostics_channel` names (the core README's "Observability"). */
const CHANNELS = {
  acquireStart: "locks:acquire:start",
  acquireEnd: "locks:acquire:end",
  release: "locks:release",
  extend: "locks:extend",
  lost: "locks:lost",
} as const;

type ChannelName = keyof typeof CHANNELS;
type Message = Record<string, unknown>;

/** Records every message of the documented channels whose `key` is one of `keys`, until stopped. */
export function record(keys: readonly string[]): {
  messages: Map<ChannelName, Message[]>;
  stop(): void;
} {
  const messages = new Map<ChannelName, Message[]>();
  const stops: Array<() => void> = [];
  for (const [name, channel] of Object.entries(CHANNELS) as Array<[ChannelName, string]>) {
    messages.set(name, []);
    const listener = (message: unknown) => {
      const m = message as Message;
      if (typeof m === "object" && m !== null && keys.includes(m.key as string)) {
        messages.get(name)!.push(m);
      }
    };
    diagnosticsChannel.subscribe(channel, listener);
    stops.push(() => diagnosticsChannel.unsubscribe(channel, listener));
  }
  return {
    messages,
    stop: () => {
      for (const stop of stops) stop();
    },
  };
}
