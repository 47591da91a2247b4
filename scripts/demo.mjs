#!/usr/bin/env node
// The README's demo: the built-in fixture model through discover → bundle → dockerfile with no Docker and no
// AWS. When a Docker engine is reachable it also loads the asset image, builds the final image on a Python base
// and verifies it like Lambda would run it. The base is MLPACK_DEMO_BASE when set, otherwise one the demo makes
// from this machine's python3 (no pulls: `docker import` of the interpreter, its standard library and the
// shared libraries they link). Whatever it skips, it says why. It removes everything it created: the project
// under /tmp/mlpack-demo-*, the images (base, assets, final) and containers (MLPACK_DEMO_KEEP=1 keeps them).
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("..", import.meta.url));
const bin = join(repo, "bin", "mlpack");
const keep = /^(1|true|yes)$/i.test(process.env.MLPACK_DEMO_KEEP ?? "");
const id = randomBytes(4).toString("hex");
const label = `dev.mlpack.demo=${id}`;
const project = mkdtempSync(join(tmpdir(), "mlpack-demo-"));
cpSync(join(repo, "fixtures", "demo-model"), project, { recursive: true });

/** What the demo made and must remove: docker image references (never IDs: an ID may carry others' tags). */
const images = [];
let cleaned = false;

function cleanup() {
  if (cleaned) return;
  cleaned = true;
  if (keep) {
    process.stderr.write(`\nMLPACK_DEMO_KEEP is set: kept ${[project, ...images].join(", ")}\n`);
    return;
  }
  if (images.length > 0) {
    const containers = docker(["ps", "-aq", "--filter", `label=${label}`]).stdout.trim().split("\n").filter(Boolean);
    if (containers.length > 0) docker(["rm", "-f", "-v", ...containers]);
    for (const ref of images.reverse()) docker(["rmi", ref]);
  }
  rmSync(project, { recursive: true, force: true });
}
process.on("exit", cleanup);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    cleanup();
    process.exit(130);
  });
}

function docker(args, options = {}) {
  return spawnSync("docker", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], ...options });
}

function title(text, shown) {
  process.stderr.write(`\n\x1b[1m== ${text}\x1b[0m\n$ ${shown}\n`);
}

function fail(step, status) {
  process.stderr.write(`\ndemo failed at: ${step} (exit ${status})\n`);
  process.exit(status ?? 1);
}

function mlpack(step, args, { capture = false } = {}) {
  title(step, `mlpack ${args.join(" ")}`);
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: project,
    stdio: capture ? ["ignore", "pipe", "inherit"] : "inherit",
    encoding: "utf8",
  });
  if (r.status !== 0) fail(step, r.status);
  return r;
}

/** Why no engine can be used, or "" when one answers. */
function engineProblem() {
  const r = docker(["info", "--format", "{{.ServerVersion}}"]);
  if (r.error) return "the docker CLI is not installed";
  return r.status === 0 ? "" : `no Docker engine answers (${(r.stderr.trim().split("\n").pop() ?? "").trim()})`;
}

/**
 * A Python base image made from the host's python3: its real executable, the standard library (without
 * site-packages, tests and GUI modules) and every shared library the interpreter and its extension modules
 * link, at the same paths. Returns { image } or { reason } saying why it cannot.
 */
function hostPythonBase(tag) {
  const probe = spawnSync(
    "python3",
    [
      "-c",
      "import json, sys, sysconfig; print(json.dumps([sys.executable, sysconfig.get_paths()['stdlib'], sysconfig.get_config_var('DESTSHARED') or '']))",
    ],
    { encoding: "utf8" },
  );
  if (probe.status !== 0) return { reason: "python3 is not on PATH" };
  const [executable, stdlib, dynload] = JSON.parse(probe.stdout);
  const exe = realpathSync(executable);
  const rootfs = join(project, ".demo-base-rootfs");
  const put = (path) => {
    const target = join(rootfs, path);
    if (existsSync(target)) return;
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(realpathSync(path), target);
    chmodSync(target, statSync(realpathSync(path)).mode & 0o755);
  };
  const skip = /(^|\/)(site-packages|dist-packages|test|tests|idlelib|tkinter|turtledemo|ensurepip|lib2to3|__pycache__|config-[^/]*)(\/|$)|_tkinter\./;
  cpSync(stdlib, join(rootfs, stdlib), {
    recursive: true,
    filter: (source) => !skip.test(source.slice(stdlib.length)),
  });
  put(exe);
  const linked = [exe];
  const dynDir = dynload && existsSync(dynload) ? dynload : join(stdlib, "lib-dynload");
  if (existsSync(dynDir)) {
    const list = spawnSync("find", [dynDir, "-name", "*.so"], { encoding: "utf8" });
    linked.push(...list.stdout.split("\n").filter((p) => p && !skip.test(p)));
    if (!dynDir.startsWith(stdlib)) cpSync(dynDir, join(rootfs, dynDir), { recursive: true, filter: (s) => !skip.test(s) });
  }
  for (const file of linked) {
    const ldd = spawnSync("ldd", [file], { encoding: "utf8" });
    if (ldd.error) return { reason: "ldd is not installed (needed to find the libraries python3 links)" };
    if (/not a dynamic executable|statically linked/.test(ldd.stdout + ldd.stderr) && file === exe) continue;
    for (const line of ldd.stdout.split("\n")) {
      const lib = /=> (\/\S+)/.exec(line)?.[1] ?? /^\s*(\/\S+)/.exec(line)?.[1];
      if (lib) put(lib);
      if (/=> not found/.test(line)) return { reason: `${file} links a library that is not installed: ${line.trim()}` };
    }
  }
  mkdirSync(join(rootfs, "usr", "bin"), { recursive: true });
  if (!existsSync(join(rootfs, "usr/bin/python3"))) symlinkSync(exe, join(rootfs, "usr/bin/python3"));
  mkdirSync(join(rootfs, "tmp"), { recursive: true, mode: 0o1777 });
  chmodSync(join(rootfs, "tmp"), 0o1777);
  const tar = spawnSync(
    "sh",
    [
      "-c",
      `tar -C "$1" --numeric-owner --owner=0 --group=0 -cf - . | docker import --change "ENV PATH=/usr/local/bin:/usr/bin:/bin" --change 'CMD ["python3"]' --change "LABEL ${label}" - "$2"`,
      "sh",
      rootfs,
      tag,
    ],
    { encoding: "utf8" },
  );
  rmSync(rootfs, { recursive: true, force: true });
  if (tar.status !== 0) return { reason: `docker import of the host's python3 failed: ${tar.stderr.trim()}` };
  const check = docker(["run", "--rm", "--network", "none", "--label", label, tag, "python3", "-c", "import json, os; print('ok')"]);
  if (check.stdout.trim() !== "ok") {
    docker(["rmi", tag]);
    return { reason: `the base made from ${exe} cannot run python3: ${(check.stderr || check.stdout).trim()}` };
  }
  return { image: tag };
}

process.stderr.write(`demo project: ${project}\n`);
mlpack("discover: run the model with a fresh HOME and find its caches", ["discover", "--runner", "local", "--", "python3", "app.py"]);
const bundled = JSON.parse(mlpack("bundle: build the asset image (no daemon)", ["bundle", "--json"], { capture: true }).stdout);
process.stderr.write(`image ${bundled.digest}, ${bundled.layers.length} layers, OCI layout in ${bundled.layout}\n`);

const summary = [];
const noEngine = engineProblem();
let base;
if (noEngine) {
  summary.push(`${noEngine}: skipped --load, docker build and verify (the steps above need no engine)`);
} else if (process.env.MLPACK_DEMO_BASE) {
  base = process.env.MLPACK_DEMO_BASE;
  if (docker(["image", "inspect", base]).status !== 0) {
    summary.push(`MLPACK_DEMO_BASE=${base} is not a local image: skipped docker build and verify`);
    base = undefined;
  }
} else {
  title("make a Python base image from this machine's python3 (no pulls)", "python3 + its stdlib and libraries | docker import");
  const made = hostPythonBase(`mlpack-demo-base:${id}`);
  if (made.image) {
    images.push(made.image);
    base = made.image;
    process.stderr.write(`base image ${base}\n`);
  } else {
    summary.push(`could not make a Python base image (${made.reason}): skipped docker build and verify; set MLPACK_DEMO_BASE to a local image with python3`);
  }
}

const assetTag = `mlpack-demo-assets:${id}`;
if (!noEngine) {
  mlpack("bundle --load: load the asset image into Docker", ["bundle", "--load", "--tag", assetTag, "--quiet"]);
  images.push(assetTag);
}
const dockerfileArgs = base
  ? ["dockerfile", "--target", "generic", "--base", base, "--copy", "handler.py", "--cmd", "python3 handler.py", "-o", "Dockerfile"]
  : ["dockerfile", "--handler", "handler.handler", "--copy", "handler.py", "-o", "Dockerfile"];
mlpack("dockerfile: write the Dockerfile", dockerfileArgs);
process.stdout.write(`\n${readFileSync(join(project, "Dockerfile"), "utf8")}`);

if (base) {
  const finalTag = `mlpack-demo:${id}`;
  title("docker build (legacy builder)", `docker build -t ${finalTag} .`);
  images.push(finalTag);
  const build = spawnSync("docker", ["build", "-q", "--force-rm", "--label", label, "-t", finalTag, "."], {
    cwd: project,
    // The image ID docker prints goes to stderr with the rest of the log: stdout is the Dockerfile and summary.
    stdio: ["ignore", 2, "inherit"],
    env: { ...process.env, DOCKER_BUILDKIT: "0" },
  });
  if (build.status !== 0) fail("docker build", build.status);
  mlpack("verify: read-only, no network, non-root", ["verify", finalTag, "--", "python3", "handler.py"]);
  summary.push(`final image ${finalTag} verified offline, read-only and non-root on ${base}`);
}

const lock = JSON.parse(readFileSync(join(project, "mlpack.lock.json"), "utf8"));
process.stdout.write("\n== summary\n");
for (const a of lock.assets) {
  process.stdout.write(`  ${a.id.padEnd(12)} ${a.source.padEnd(22)} → ${lock.assetRoot}/${a.target}  (${a.files} ${a.files === 1 ? "file" : "files"}, ${a.bytes} bytes)\n`);
}
process.stdout.write(`  skipped: ${lock.skipped.map((s) => s.path).join(", ")}\n`);
process.stdout.write(`  asset image: ${bundled.digest} (${bundled.layers.length} layers)\n`);
for (const line of summary) process.stdout.write(`  ${line}\n`);
process.stdout.write(
  keep
    ? `  kept: ${project} and ${images.join(", ") || "no images"}\n`
    : `  removed what the demo created (the project in ${project}${images.length ? `, ${images.join(", ")}` : ""}); MLPACK_DEMO_KEEP=1 keeps it\n`,
);
