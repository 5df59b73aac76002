import { describe, expect, it } from "vitest";
import { errorCode, isTransientMongoError, MongoFeatureUnsupportedError } from "../src/errors.js";

/** An error shaped like the driver's: a name, and optionally a code and error labels. */
function driverError(
  name: string,
  extra: { code?: number | string; labels?: string[]; cause?: unknown } = {},
) {
  const error = new Error(name, { cause: extra.cause }) as Error & {
    code?: number | string;
    hasErrorLabel(label: string): boolean;
  };
  error.name = name;
  if (extra.code !== undefined) error.code = extra.code;
  error.hasErrorLabel = (label) => extra.labels?.includes(label) ?? false;
  return error;
}

describe("which failures a waiting acquire rides out", () => {
  it.each([
    ["a network error", driverError("MongoNetworkError")],
    ["a network timeout", driverError("MongoNetworkTimeoutError")],
    ["a server selection timeout", driverError("MongoServerSelectionError")],
    ["a cleared pool", driverError("MongoPoolClearedError")],
    ["a step-down", driverError("MongoServerError", { code: 189 })],
    ["not the primary", driverError("MongoServerError", { code: 10107 })],
    [
      "a retryable write label",
      driverError("MongoServerError", { code: 1, labels: ["RetryableWriteError"] }),
    ],
    [
      "ECONNRESET in the cause",
      driverError("MongoError", {
        cause: Object.assign(new Error("reset"), { code: "ECONNRESET" }),
      }),
    ],
  ])("retries %s", (_, error) => {
    expect(isTransientMongoError(error)).toBe(true);
  });

  it.each([
    ["an authentication failure", driverError("MongoServerError", { code: 18 })],
    ["a missing privilege", driverError("MongoServerError", { code: 13 })],
    ["a duplicate key", driverError("MongoServerError", { code: 11000 })],
    ["a feature the server lacks", new MongoFeatureUnsupportedError("change streams")],
    ["a closed topology", driverError("MongoTopologyClosedError")],
    ["a plain error", new Error("boom")],
    ["a non-error", "boom"],
  ])("does not retry %s", (_, error) => {
    expect(isTransientMongoError(error)).toBe(false);
  });

  it("reads a server's numeric code, and no code from a system error's name", () => {
    expect(errorCode(driverError("MongoServerError", { code: 11000 }))).toBe(11000);
    // Node's socket errors carry names such as ECONNRESET in `code`: not a server's answer.
    expect(errorCode(Object.assign(new Error("reset"), { code: "ECONNRESET" }))).toBeUndefined();
    expect(errorCode(new Error("boom"))).toBeUndefined();
  });
});
