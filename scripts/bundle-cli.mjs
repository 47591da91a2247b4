#!/usr/bin/env node
// Bundles the CLI that bin/mlpack runs: dist/cli/main.js (tsc's output) and what it imports → dist/app/, one
// ES module per lazily loaded command (code splitting) instead of ~190 files. Node's ESM loader resolves,
// reads and compiles each file on its own; for `mlpack --version` that was ~70 ms of a ~210 ms start on this
// 2-core machine, paid by every command (`npm run bench` times `mlpack --version`). Only small pure-JS
// dependencies loaded at start are bundled (zod alone is 95 files); the rest stay external and load as
// before, lazily where they were lazy (dockerode, the AWS SDK, tar, execa). dist/app/ sits two folders
// below the package root like every dist/<area>/ file, so `new URL("../../templates/…", import.meta.url)`
// resolves the same from a chunk as from tsc's output.
import { readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const BUNDLED = new Set(["zod", "commander", "chalk"]);
const pkg = JSON.parse(readFileSync(`${root}package.json`, "utf8"));
const external = Object.keys(pkg.dependencies)
  .filter((name) => !BUNDLED.has(name))
  .flatMap((name) => [name, `${name}/*`]);

let esbuild;
try {
  esbuild = await import("esbuild");
} catch {
  process.stderr.write("mlpack: cannot bundle dist/app/: esbuild (a dev dependency) is not installed; run `npm ci`.\n");
  process.exit(1);
}
const outdir = `${root}dist/app`;
await rm(outdir, { recursive: true, force: true });
await esbuild.build({
  entryPoints: { main: `${root}dist/cli/main.js` },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  external,
  legalComments: "none",
  logLevel: "warning",
  // commander is CommonJS and calls require("node:events"): give the module scope a real require.
  banner: {
    js: 'import { createRequire as __mlpackRequire } from "node:module"; const require = __mlpackRequire(import.meta.url);',
  },
});
