import { readFile, writeFile } from "node:fs/promises";
import { expect } from "vitest";

/**
 * Compares `actual` byte for byte with `golden/<name>`. `UPDATE_GOLDEN=1` rewrites the file instead (review
 * the diff before committing it).
 */
export async function expectGolden(name: string, actual: string): Promise<void> {
  const path = new URL(`./golden/${name}`, import.meta.url);
  if (process.env.UPDATE_GOLDEN === "1") {
    await writeFile(path, actual);
    return;
  }
  const expected = await readFile(path, "utf8").catch(() => {
    throw new Error(`golden file ${name} is missing; run with UPDATE_GOLDEN=1 to create it`);
  });
  expect(actual).toBe(expected);
}
