import { describe, expect, it } from "vitest";
import { newToken } from "../src/token.js";

describe("owner tokens", () => {
  it("are 128-bit base64url strings, all distinct across several refills of the random buffer", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const token = newToken();
      expect(token).toMatch(/^[A-Za-z0-9_-]{22}$/);
      seen.add(token);
    }
    expect(seen.size).toBe(10_000);
  });
});
