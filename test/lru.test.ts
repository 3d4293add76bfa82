import { describe, expect, it } from "vitest";
import { Lru } from "../src/lru.js";

const keys = <K, V>(lru: Lru<K, V>) => [...lru.entries()].map(([k]) => k);

describe("Lru", () => {
  it("keeps keys in order of use: a read or a write makes a key the newest, a peek does not", () => {
    const lru = new Lru<string, number>();
    lru.set("a", 1);
    lru.set("b", 2);
    lru.set("c", 3);
    expect(keys(lru)).toEqual(["a", "b", "c"]);
    expect(lru.get("a")).toBe(1);
    expect(keys(lru)).toEqual(["b", "c", "a"]);
    expect(lru.peek("b")).toBe(2);
    expect(keys(lru)).toEqual(["b", "c", "a"]);
    lru.set("b", 20);
    expect(keys(lru)).toEqual(["c", "a", "b"]);
    expect(lru.peek("b")).toBe(20);
    expect(lru.get("missing")).toBeUndefined();
    expect(lru.size).toBe(3);
  });

  it("gives and removes the least recently used first", () => {
    const lru = new Lru<string, number>();
    expect(lru.oldest()).toBeUndefined();
    expect(lru.shift()).toBeUndefined();
    lru.set("a", 1);
    lru.set("b", 2);
    lru.get("a");
    expect(lru.oldest()).toEqual({ key: "b", value: 2 });
    expect(lru.size).toBe(2);
    expect(lru.shift()).toEqual({ key: "b", value: 2 });
    expect(lru.shift()).toEqual({ key: "a", value: 1 });
    expect(lru.size).toBe(0);
    // Empty again, it fills as new.
    lru.set("c", 3);
    expect(keys(lru)).toEqual(["c"]);
  });

  it("with a bound, drops the least recently used when one more is added, not when one is replaced", () => {
    const lru = new Lru<string, number>(2);
    lru.set("a", 1);
    lru.set("b", 2);
    lru.get("a");
    lru.set("b", 20);
    expect(keys(lru)).toEqual(["a", "b"]);
    lru.set("c", 3);
    expect(keys(lru)).toEqual(["b", "c"]);
    expect(lru.size).toBe(2);
  });

  it("deletes from anywhere, including while iterating, and clears", () => {
    const lru = new Lru<number, string>();
    for (let i = 0; i < 5; i++) lru.set(i, `v${i}`);
    expect(lru.delete(2)).toBe(true);
    expect(lru.delete(2)).toBe(false);
    expect(keys(lru)).toEqual([0, 1, 3, 4]);
    for (const [k] of lru.entries()) if (k % 2 === 1) lru.delete(k);
    expect(keys(lru)).toEqual([0, 4]);
    expect(lru.has(4)).toBe(true);
    lru.clear();
    expect(lru.size).toBe(0);
    expect(lru.oldest()).toBeUndefined();
    expect(keys(lru)).toEqual([]);
  });

  it("matches a plain list model over many random operations", () => {
    const lru = new Lru<number, number>();
    const model: number[] = []; // keys, least recently used first
    const values = new Map<number, number>();
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    const touch = (k: number) => {
      const at = model.indexOf(k);
      if (at >= 0) model.splice(at, 1);
      model.push(k);
    };
    for (let step = 0; step < 20_000; step++) {
      const k = random(60);
      switch (random(5)) {
        case 0:
        case 1:
          lru.set(k, step);
          values.set(k, step);
          touch(k);
          break;
        case 2:
          expect(lru.get(k)).toBe(values.get(k));
          if (values.has(k)) touch(k);
          break;
        case 3: {
          expect(lru.delete(k)).toBe(values.delete(k));
          const at = model.indexOf(k);
          if (at >= 0) model.splice(at, 1);
          break;
        }
        default: {
          const gone = lru.shift();
          const expected = model.shift();
          expect(gone?.key).toBe(expected);
          if (expected !== undefined) {
            expect(gone?.value).toBe(values.get(expected));
            values.delete(expected);
          }
        }
      }
    }
    expect(keys(lru)).toEqual(model);
    expect(lru.size).toBe(model.length);
  });
});
