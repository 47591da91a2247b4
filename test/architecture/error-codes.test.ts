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

/** The text between the parentheses of a call that starts at `open` (the index of "("). */
function callArgs(text: string, open: number): string {
  let depth = 0;
  for (let i = open; i < text.length; i += 1) {
    if (text[i] === "(") depth += 1;
    else if (text[i] === ")" && --depth === 0) return text.slice(open + 1, i);
  }
  return text.slice(open + 1);
}

/**
 * The codes src/ can emit: every "E_…" literal outside errors.ts, plus a class's default code from errors.ts
 * (`super(message, { code: "E_USAGE", ...options })`) only when some `new Class(…)` passes no code of its own.
 * A default that every caller overrides is never emitted, so docs/cli.md must not list it.
 */
async function emittedCodes(): Promise<Set<string>> {
  const used = new Set<string>();
  const texts = await Promise.all((await sources(SRC)).map(async (f) => [f, await readFile(f, "utf8")] as const));
  const errorsTs = texts.find(([f]) => f.endsWith("/src/errors.ts"))?.[1] ?? "";
  const defaults = new Map<string, string | undefined>();
  const parents = new Map<string, string>();
  for (const block of errorsTs.split(/^export class /m).slice(1)) {
    const [, name, parent] = /^(\w+)(?: extends (\w+))?/.exec(block) ?? [];
    if (!name) continue;
    if (parent) parents.set(name, parent);
    const code = /super\(message, \{\s*code: "(E_[A-Z0-9_]+)"/.exec(block)?.[1] ?? /\?\? "(E_[A-Z0-9_]+)"/.exec(block)?.[1];
    defaults.set(name, code);
  }
  const defaultOf = (name: string): string | undefined => {
    for (let c: string | undefined = name; c; c = parents.get(c)) if (defaults.get(c)) return defaults.get(c);
    return undefined;
  };
  for (const [file, text] of texts) {
    if (file.endsWith("/src/errors.ts")) continue;
    for (const m of text.matchAll(/"(E_[A-Z0-9_]+)"/g)) used.add(m[1] as string);
    for (const m of text.matchAll(/\bnew (\w+)\(/g)) {
      const name = m[1] as string;
      if (!defaults.has(name)) continue;
      const args = callArgs(text, (m.index ?? 0) + m[0].length - 1);
      const code = defaultOf(name);
      if (code && !/\bcode\s*:/.test(args)) used.add(code);
    }
  }
  return used;
}

describe("error code registry (src/error-codes.ts)", () => {
  it("lists every code the source emits, and only those", async () => {
    const used = await emittedCodes();
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
