import { settleFirst, TIMED_OUT } from "./race.js";

/**
 * Settles like `reply`, or rejects with `noReply()` once `ms` milliseconds have passed without it
 * (`Infinity`: no bound). For a server round trip whose answer no longer matters after `ms`:
 * `noReply` may also discard the connection, whose protocol state is unknown after a lost reply.
 * The request itself is not withdrawn; a late reply is ignored.
 */
export async function replyWithin<T>(
  reply: Promise<T>,
  ms: number,
  noReply: () => Error,
): Promise<T> {
  const result = await settleFirst(reply, [], ms);
  if (result === TIMED_OUT) throw noReply();
  return result;
}
