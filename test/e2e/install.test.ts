import { execFileSync } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { renderWorkflow } from "../../src/init/index.js";
import { imageExists } from "../support/docker.js";
import { isCi } from "../support/env.js";
import { probeReal } from "../support/real.js";

/**
 * The README's install path on a clean prefix: pack the working tree (its `prepare` builds dist/), install
 * the tarball with the CI template's own install line into a temporary global prefix, and run `mlpack` and
 * the demo from there. npm takes the dependencies from its cache (`--prefer-offline`) or the registry mirror.
 */
const REPO = fileURLToPath(new URL("../../", import.meta.url));
const VERSION = (JSON.parse(await readFile(join(REPO, "package.json"), "utf8")) as { version: string }).version;
const tmp = await mkdtemp(join(tmpdir(), "mlpack-install-"));
const prefix = join(tmp, "prefix");
const installed = join(prefix, "lib", "node_modules", "mlpack");
const mlpackBin = join(prefix, "bin", "mlpack");
const engine = await probeReal("docker");

afterAll(() => rm(tmp, { recursive: true, force: true }));

const npmEnv = {
  ...process.env,
  npm_config_prefix: prefix,
  npm_config_prefer_offline: "true",
  npm_config_audit: "false",
  npm_config_fund: "false",
  npm_config_update_notifier: "false",
};

/** A copy of the working tree as a fresh clone has it (tracked and new files, no dist/), with its node_modules. */
async function cloneLike(dest: string): Promise<void> {
  const files = execFileSync("git", ["ls-files", "-co", "--exclude-standard", "-z"], { cwd: REPO })
    .toString()
    .split("\0")
    .filter((f) => f && !f.startsWith("dist/"));
  for (const file of files) {
    await mkdir(dirname(join(dest, file)), { recursive: true });
    await cp(join(REPO, file), join(dest, file), { verbatimSymlinks: true }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") throw error; // a tracked file deleted in the working tree
    });
  }
  await symlink(join(REPO, "node_modules"), join(dest, "node_modules"));
}

describe("npm pack → npm install --global → mlpack", () => {
  let tarball = "";

  it("npm pack builds dist/ and ships dist, templates, schemas and the demo, not the sources", async () => {
    const src = join(tmp, "src");
    await cloneLike(src);
    const packed = await execa("npm", ["pack", "--pack-destination", tmp], { cwd: src, env: npmEnv });
    tarball = join(tmp, packed.stdout.trim().split("\n").pop() ?? "");
    expect(tarball).toBe(join(tmp, `mlpack-${VERSION}.tgz`));
    const entries = execFileSync("tar", ["-tzf", tarball]).toString().split("\n");
    for (const file of [
      "package/bin/mlpack",
      "package/dist/cli/main.js",
      "package/dist/app/main.js",
      "package/templates/ci/github.yml",
      "package/templates/lambda-python.Dockerfile",
      "package/schemas/mlpack.schema.json",
      "package/scripts/demo.mjs",
      "package/fixtures/demo-model/app.py",
    ])
      expect(entries, file).toContain(file);
    expect(entries.filter((e) => /^package\/(src|test)\//.test(e))).toEqual([]);
  }, 600_000);

  it("the CI template's install line installs the vendored tarball; mlpack runs from the prefix", async () => {
    const project = join(tmp, "project");
    await mkdir(join(project, "vendor"), { recursive: true });
    await cp(tarball, join(project, "vendor", `mlpack-${VERSION}.tgz`));
    const workflow = parse((await renderWorkflow("github", VERSION)).content) as {
      jobs: { assets: { steps: { name?: string; run?: string; env?: Record<string, string> }[] } };
    };
    const step = workflow.jobs.assets.steps.find((s) => s.name === "Install mlpack");
    // ${{ vars.MLPACK_PACKAGE || './vendor/…' }} with the variable unset, as GitHub evaluates it.
    const pkg = /\|\| '([^']+)'/.exec(step?.env?.MLPACK_PACKAGE ?? "")?.[1];
    expect(pkg).toBe(`./vendor/mlpack-${VERSION}.tgz`);
    await execa("sh", ["-c", step?.run ?? "false"], {
      cwd: project,
      env: { ...npmEnv, MLPACK_PACKAGE: pkg },
    });

    const version = await execa(mlpackBin, ["--version"], { env: { ...process.env, NO_COLOR: "1" } });
    expect(version.stdout.trim()).toBe(VERSION);
    const bare = await execa(mlpackBin, [], { reject: false });
    expect(bare.exitCode).toBe(2);
    expect(bare.stderr).toContain("Usage: mlpack");
    // Templates and schemas are found inside the installed package.
    const init = await execa(mlpackBin, ["init", "--ci", "gitlab", "-q"], { cwd: project });
    expect(init.stdout).toBe("wrote mlpack.json\nwrote mlpack.schema.json\nwrote .gitlab-ci.yml");
    expect(await readFile(join(project, "mlpack.schema.json"), "utf8")).toBe(
      await readFile(join(installed, "schemas", "mlpack.schema.json"), "utf8"),
    );
  }, 600_000);

  it("the demo runs from the installed package and removes everything it created", async () => {
    if (isCi() && !engine.available) throw new Error(`CI=true needs a Docker engine for the demo: ${engine.reason}`);
    const demoTmp = join(tmp, "demo-tmp");
    await mkdir(demoTmp);
    const demo = await execa(process.execPath, [join(installed, "scripts", "demo.mjs")], {
      cwd: tmp,
      env: { ...process.env, TMPDIR: demoTmp, NO_COLOR: "1", MLPACK_DEMO_KEEP: undefined, MLPACK_DEMO_BASE: undefined },
      reject: false,
      timeout: 540_000,
    });
    expect(demo.exitCode, demo.stderr).toBe(0);
    expect(demo.stdout).toContain("== summary");
    for (const id of ["gensim", "huggingface", "nltk", "torch"]) expect(demo.stdout).toMatch(new RegExp(`^  ${id} `, "m"));
    const removed = /removed what the demo created \(([^)]*)\)/.exec(demo.stdout)?.[1] ?? "";
    expect(removed).toContain(join(demoTmp, "mlpack-demo-"));
    if (engine.available) {
      expect(demo.stdout).toMatch(/final image mlpack-demo:\w+ verified offline, read-only and non-root/);
      const images = removed.split(", ").filter((r) => /^mlpack-demo[\w-]*:\w+$/.test(r));
      expect(images).toHaveLength(3);
      for (const ref of images) expect(await imageExists(ref), ref).toBe(false);
    } else {
      expect(demo.stdout).toContain("skipped --load, docker build and verify");
    }
    expect(await readdir(demoTmp)).toEqual([]);
  }, 600_000);
});
