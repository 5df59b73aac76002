/** The option keys of `LockProviderOptions`, which every provider accepts. */
const PROVIDER_OPTION_KEYS: readonly string[] = ["prefix", "ttl", "autoExtend", "wait"];

/**
 * Rejects an option key that neither core nor the backend knows, with a `TypeError` naming it: a
 * misspelt option (`fenceTabel`, `timeOut`) must not be ignored silently. `known` lists the
 * backend's own keys; core's provider options (`prefix`, `ttl`, `autoExtend`, `wait`) are always
 * accepted. `what` names the caller in the message, e.g. `"createMySqlLockProvider"`.
 */
export function checkOptionKeys(options: object, known: readonly string[], what: string): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key) && !PROVIDER_OPTION_KEYS.includes(key)) {
      throw new TypeError(`${what}: unknown option "${key}"`);
    }
  }
}
