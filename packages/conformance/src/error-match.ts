/**
 * Error checks by class name along the prototype chain rather than `instanceof`: a custom provider
 * may bundle its own copy of `@locks/core`, whose error classes are different objects with the same
 * names.
 */
export function isErrorNamed(error: unknown, name: string): boolean {
  if (!(error instanceof Error)) return false;
  for (let proto: object | null = error; proto !== null; proto = Object.getPrototypeOf(proto)) {
    const ctor = (proto as { constructor?: { name?: string } }).constructor;
    if (ctor?.name === name) return true;
  }
  return error.name === name;
}

/** Describes an error (or the absence of one) for an assertion message. */
export function describeError(error: unknown): string {
  if (error === undefined) return "no error";
  if (error instanceof Error) return `${error.constructor.name}: ${error.message}`;
  return `non-error value ${String(error)}`;
}
