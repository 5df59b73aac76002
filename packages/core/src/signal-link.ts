/**
 * Links a caller's `AbortSignal` to the internal controllers of the acquisitions that use it,
 * with one listener per signal however many acquisitions share it at once. A listener per
 * acquisition would trip Node's `MaxListenersExceededWarning` past 10 concurrent waiters on one
 * signal, and `AbortSignal.any` keeps a record of each composite signal on its sources for as
 * long as they live (a long-lived caller signal then grows with every acquisition).
 */
interface Link {
  readonly controllers: Set<AbortController>;
  readonly onAbort: () => void;
}

const links = new WeakMap<AbortSignal, Link>();

/**
 * Aborts `controller` with `signal.reason` when `signal` aborts (at once if it already has).
 * Returns the function that unlinks them; call it when the acquisition ends. Once no acquisition
 * uses `signal` any more, its listener is removed: nothing of ours outlives the acquisitions.
 */
export function linkSignal(signal: AbortSignal, controller: AbortController): () => void {
  if (signal.aborted) {
    controller.abort(signal.reason);
    return () => {};
  }
  let link = links.get(signal);
  if (!link) {
    const controllers = new Set<AbortController>();
    const onAbort = () => {
      links.delete(signal);
      for (const c of controllers) c.abort(signal.reason);
    };
    link = { controllers, onAbort };
    links.set(signal, link);
    signal.addEventListener("abort", onAbort, { once: true });
  }
  const own = link;
  own.controllers.add(controller);
  return () => {
    if (!own.controllers.delete(controller) || own.controllers.size > 0) return;
    if (links.get(signal) === own) links.delete(signal);
    signal.removeEventListener("abort", own.onAbort);
  };
}
