import { describe, expect, it } from "vitest";
import { FencedResource, HoldHistory } from "../src/index.js";

describe("HoldHistory", () => {
  it("accepts back-to-back holds, including one ending exactly when the next starts", () => {
    const history = new HoldHistory();
    history.record({ holder: "a", start: 0, end: 10, token: 1n });
    history.record({ holder: "b", start: 10, end: 20, token: 2n });
    history.record({ holder: "c", start: 25, end: 30, token: 3n });
    expect(history.overlaps()).toEqual([]);
    expect(history.tokenRegressions()).toEqual([]);
  });

  it("finds an overlap even when a long hold spans several later ones", () => {
    const history = new HoldHistory();
    history.record({ holder: "long", start: 0, end: 100 });
    history.record({ holder: "short", start: 10, end: 20 });
    history.record({ holder: "later", start: 50, end: 60 });
    const overlaps = history.overlaps();
    expect(overlaps.map((o) => [o.first.holder, o.second.holder])).toEqual([
      ["long", "short"],
      ["long", "later"],
    ]);
  });

  it("reports tokens that do not grow in hold order, and rejects inverted intervals", () => {
    const history = new HoldHistory();
    history.record({ holder: "a", start: 0, end: 1, token: 5n });
    history.record({ holder: "b", start: 2, end: 3, token: 5n });
    expect(history.tokenRegressions()).toHaveLength(1);
    expect(() => history.record({ holder: "x", start: 5, end: 4 })).toThrow(RangeError);
  });
});

describe("FencedResource", () => {
  it("accepts equal and growing tokens and rejects an older one", () => {
    const resource = new FencedResource();
    expect(resource.write(1n, "a")).toBe(true);
    expect(resource.write(1n, "a")).toBe(true);
    expect(resource.write(3n, "b")).toBe(true);
    expect(resource.write(2n, "a")).toBe(false);
    expect(resource.rejections).toEqual([{ holder: "a", token: 2n, highest: 3n }]);
    expect(resource.acceptedWrites).toBe(3);
    expect(resource.highest).toBe(3n);
  });

  it("counts writes without a token and refuses a token that is not a bigint", () => {
    const resource = new FencedResource();
    expect(resource.write(undefined, "a")).toBe(true);
    expect(resource.unfencedWrites).toBe(1);
    expect(() => resource.write(7 as unknown as bigint, "a")).toThrow(TypeError);
  });
});
