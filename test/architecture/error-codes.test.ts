import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "../../src/error-codes.js";
import { MlpackError, UsageError } from "../../src/errors.js";

const SRC = new URL("../../src/", import.meta.url).pathname;

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sources(path)));
    else if (entry.name.endsWith(".ts") && entry.name !== "error-codes.ts") out.push(path);
  }
  return out;
}

describe("error code registry (src/error-codes.ts)", () => {
  it("lists every code the source emits, and only those", async () => {
    const used = new Set<string>();
    for (const file of await sources(SRC)) {
      for (const m of (await readFile(file, "utf8")).matchAll(/"(E_[A-Z0-9_]+)"/g)) used.add(m[1] as string);
    }
    const registered = new Set(Object.keys(ERROR_CODES));
    expect([...used].filter((c) => !registered.has(c)).sort(), "used but not in ERROR_CODES").toEqual([]);
    expect([...registered].filter((c) => !used.has(c)).sort(), "in ERROR_CODES but never used").toEqual([]);
  });

  it("decides the exit code, whatever class carries the code", () => {
    expect(new UsageError("x").exitCode).toBe(2);
    expect(new MlpackError("x", { code: "E_NO_SPACE" }).exitCode).toBe(1);
    expect(new UsageError("x", { code: "E_ASSET_STALE" }).exitCode).toBe(ERROR_CODES.E_ASSET_STALE.exitCode);
    expect(new MlpackError("x", { code: "E_REGISTRY_AUTH" }).exitCode).toBe(5);
  });
});
