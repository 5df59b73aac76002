import { LockBackendError } from "@locks/core";

/** The server lacks a feature an option requires (e.g. `timeSource: "server"` on a server without `$$NOW` in updates). */
export class MongoFeatureUnsupportedError extends LockBackendError {
  /** The feature that is missing, e.g. `"server clock ($$NOW in update pipelines)"`. */
  readonly feature: string;
  constructor(feature: string, cause?: unknown) {
    super(`The MongoDB server does not support ${feature}`, { backend: "mongo", cause });
    this.feature = feature;
  }
}

/** Server error code of a duplicate key on insert (another upsert won the race). */
export const DUPLICATE_KEY = 11000;

/** Numeric server error code of a driver error, if it has one. */
export function errorCode(error: unknown): number | undefined {
  if (error === null || typeof error !== "object" || !("code" in error)) return undefined;
  const code = Number((error as { code: unknown }).code);
  return Number.isFinite(code) ? code : undefined;
}

/** True for an error the server sent in reply to a command (not a network or client error). */
export function isServerError(error: unknown): boolean {
  return (
    error instanceof Error && error.name === "MongoServerError" && errorCode(error) !== undefined
  );
}
