import { describe, expect, it } from "vitest";
import { escapeName, isCarriableName, unsupportedName } from "../../src/util/names.js";

describe("escapeName", () => {
  it.each([
    ["plain.bin", "plain.bin"],
    ["a\nb", "a\\nb"],
    ["a\tb\rc", "a\\tb\\rc"],
    ["back\\slash", "back\\\\slash"],
    ["bell\x07", "bell\\x07"],
    ["café", "café"],
    ["cafe\u0301", "cafe\u0301"],
    ["c1\u0085", "c1\\u{85}"],
    ["ls\u2028", "ls\\u{2028}"],
  ])("%j → %j", (input, expected) => {
    expect(escapeName(input)).toBe(expected);
  });

  it("escapes bytes that are not UTF-8 one by one and keeps the rest", () => {
    expect(escapeName(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2e, 0x62]))).toBe("caf\\xe9.b");
    expect(escapeName(Buffer.from([0xf0, 0x9f, 0x98]))).toBe("\\xf0\\x9f\\x98");
    expect(escapeName(Buffer.from([0xed, 0xa0, 0x80]))).toBe("\\xed\\xa0\\x80");
  });

  it("refuses non-UTF-8 names with E_UNSUPPORTED_NAME naming the escaped path", () => {
    expect(isCarriableName(Buffer.from("ok\n"))).toBe(true);
    expect(isCarriableName(Buffer.from([0xff]))).toBe(false);
    const error = unsupportedName(Buffer.from([0x2f, 0x78, 0xff]), "asset nltk");
    expect(error.code).toBe("E_UNSUPPORTED_NAME");
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe("/x\\xff (in asset nltk) has a name that is not valid UTF-8");
  });
});
