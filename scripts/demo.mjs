#!/usr/bin/env node
// The README's demo: the built-in fixture model through discover → bundle → dockerfile, no Docker and no AWS
// needed. When an engine is reachable (and a local Python base image exists) it also loads the asset image,
// builds the final image and verifies it like Lambda would run it.
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("..", import.meta.url));
const bin = join(repo, "bin", "mlpack");
const project = mkdtempSync(join(tmpdir(), "mlpack-demo-"));
cpSync(join(repo, "fixtures", "demo-model"), project, { recursive: true });

function run(title, args, { capture = false, allowFail = false, command = process.execPath, prefix = [bin] } = {}) {
  process.stderr.write(`\n\x1b[1m== ${title}\x1b[0m\n$ ${command === process.execPath ? "mlpack" : command} ${args.join(" ")}\n`);
  const r = spawnSync(command, [...prefix, ...args], {
    cwd: project,
    stdio: capture ? ["ignore", "pipe", "inherit"] : "inherit",
    encoding: "utf8",
  });
  if (r.status !== 0 && !allowFail) {
    process.stderr.write(`\ndemo failed at: ${title} (exit ${r.status})\n`);
    process.exit(r.status ?? 1);
  }
  return r;
}

function engineReachable() {
  return spawnSync("docker", ["info"], { stdio: "ignore" }).status === 0;
}

function localImage(ref) {
  return ref && spawnSync("docker", ["image", "inspect", ref], { stdio: "ignore" }).status === 0;
}

process.stderr.write(`demo project: ${project}\n`);
run("discover: run the model with a fresh HOME and find its caches", ["discover", "--runner", "local", "--", "python3", "app.py"]);
const bundled = JSON.parse(run("bundle: build the asset image (no daemon)", ["bundle", "--json"], { capture: true }).stdout);
process.stderr.write(`image ${bundled.digest}, ${bundled.layers.length} layers, OCI layout in ${bundled.layout}\n`);

const summary = [];
const engine = engineReachable();
const base = [process.env.MLPACK_DEMO_BASE, "mlpack-test/python-nltk:bookworm"].find(localImage);
if (engine) {
  run("bundle --load: load the asset image into Docker", ["bundle", "--load", "--quiet"]);
}
const dockerfileArgs = base
  ? ["dockerfile", "--target", "generic", "--base", base, "--copy", "handler.py", "--cmd", "python3 handler.py", "-o", "Dockerfile"]
  : ["dockerfile", "--handler", "handler.handler", "--copy", "handler.py", "-o", "Dockerfile"];
run("dockerfile: write the Dockerfile", dockerfileArgs);
process.stdout.write(`\n${readFileSync(join(project, "Dockerfile"), "utf8")}`);

if (engine && base) {
  run("docker build (legacy builder)", ["build", "-q", "-t", "mlpack-demo:latest", "."], { command: "docker", prefix: [] });
  const v = run("verify: read-only, no network, non-root", ["verify", "mlpack-demo:latest", "--", "python3", "handler.py"], {
    allowFail: true,
  });
  summary.push(v.status === 0 ? "final image verified offline and read-only: mlpack-demo:latest" : "verify FAILED (see above)");
} else {
  summary.push(
    engine
      ? "no local Python base image (set MLPACK_DEMO_BASE) — skipped docker build and verify"
      : "no Docker engine reachable — skipped --load, docker build and verify",
  );
}

const lock = JSON.parse(readFileSync(join(project, "mlpack.lock.json"), "utf8"));
process.stdout.write("\n== summary\n");
for (const a of lock.assets) {
  process.stdout.write(`  ${a.id.padEnd(12)} ${a.source.padEnd(22)} → ${lock.assetRoot}/${a.target}  (${a.files} files, ${a.bytes} bytes)\n`);
}
process.stdout.write(`  skipped: ${lock.skipped.map((s) => s.path).join(", ")}\n`);
process.stdout.write(`  asset image: ${bundled.digest} (${bundled.layout})\n  Dockerfile: ${join(project, "Dockerfile")}\n`);
for (const line of summary) process.stdout.write(`  ${line}\n`);
