#!/usr/bin/env node
// Writes schemas/*.json from the zod schemas (dist/cli/results/json-schemas.js; run `npm run build` first).
// --check: write nothing; exit 1 naming every file that is stale, missing or no longer generated.
import { readdir, readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { jsonSchemaFiles, serializeSchema } from "../dist/cli/results/json-schemas.js";

const dir = fileURLToPath(new URL("../schemas/", import.meta.url));
const check = process.argv.includes("--check");

const wanted = Object.fromEntries(
  Object.entries(jsonSchemaFiles()).map(([name, schema]) => [name, serializeSchema(schema)]),
);
const present = (await readdir(dir).catch(() => [])).filter((n) => n.endsWith(".json"));
const problems = [];
for (const [name, text] of Object.entries(wanted)) {
  const current = await readFile(new URL(name, `file://${dir}`), "utf8").catch(() => undefined);
  if (current === text) continue;
  if (check) problems.push(`${current === undefined ? "missing" : "stale"}: schemas/${name}`);
  else await writeFile(`${dir}${name}`, text);
}
for (const name of present) {
  if (!(name in wanted)) problems.push(`not generated (delete it): schemas/${name}`);
}
if (problems.length > 0) {
  process.stderr.write(
    `${problems.join("\n")}\n${check ? "Run `npm run build && node scripts/gen-schemas.mjs`.\n" : ""}`,
  );
  process.exit(1);
}
if (!check) process.stdout.write(`wrote ${Object.keys(wanted).length} schemas to schemas/\n`);
