import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = new URL("../../src/", import.meta.url).pathname;

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sources(path)));
    else if (entry.name.endsWith(".ts")) out.push(path);
  }
  return out;
}

/**
 * The core library never talks to the terminal: only src/cli/** prints, exits or imports commander/chalk
 * (like crane's depcheck test). Core reports through events and errors.
 */
const RULES: [RegExp, string][] = [
  [/from "(commander|chalk)"/, "imports commander/chalk"],
  [/from "(\.\.\/)+cli\//, "imports from src/cli"],
  [/\bprocess\.exit\(/, "calls process.exit"],
  [/\bconsole\.(log|error|warn|info)\(/, "uses console"],
  [/\bprocess\.(stdout|stderr)\.write\(/, "writes to stdout/stderr"],
];

describe("import boundary between the core and the CLI", () => {
  it("no core module prints, exits or imports the CLI layer", async () => {
    const files = (await sources(SRC)).filter((f) => !relative(SRC, f).startsWith("cli/"));
    expect(files.length).toBeGreaterThan(50);
    const violations: string[] = [];
    for (const file of files) {
      const text = await readFile(file, "utf8");
      for (const [pattern, what] of RULES) if (pattern.test(text)) violations.push(`${relative(SRC, file)} ${what}`);
    }
    expect(violations).toEqual([]);
  });
});
