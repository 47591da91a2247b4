#!/usr/bin/env node
// npm runs this on `npm ci`/`npm install` in a clone, on `npm pack` and on git installs: it builds dist/ and
// its bundle dist/app/, the only thing the packed CLI runs. `npm install --global .` in a fresh clone cannot
// build (npm installs neither the dev dependencies nor the dependencies of a linked folder), so say what to
// run instead of "tsc: not found".
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
let tsc;
try {
  tsc = require.resolve("typescript/bin/tsc");
} catch {
  if (existsSync(new URL("../dist/app/main.js", import.meta.url))) process.exit(0);
  process.stderr.write(
    "mlpack: cannot build dist/: TypeScript (a dev dependency) is not installed here.\n" +
      "In a clone, run `npm ci` first (it installs the dependencies and builds), then `npm install --global .`;\n" +
      "or install a packed tarball: `npm pack && npm install --global ./mlpack-<version>.tgz`.\n",
  );
  process.exit(1);
}
const root = new URL("..", import.meta.url);
const steps = [
  [tsc, "-p", "tsconfig.build.json"],
  // bin/mlpack runs the bundle of dist/cli/ (scripts/bundle-cli.mjs says why).
  [new URL("bundle-cli.mjs", import.meta.url).pathname],
];
for (const args of steps) {
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
