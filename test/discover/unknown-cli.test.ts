import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { discoverResult } from "../../src/cli/results/discover.js";
import { errorDocument } from "../../src/cli/results/common.js";
import { type CliOptions, runCli as run } from "../support/cli.js";
import { removeByLabel, TEST_LABEL_KEY } from "../support/docker.js";
import { testEnv } from "../support/env.js";
import { type TempProject, tempProject, useTempProject } from "../support/project.js";
import { describeReal } from "../support/real.js";
import { APP, filesContaining, LIBS, printedIncludes, SECRET } from "./unknown-support.js";

/**
 * Unknown caches end to end through bin/mlpack (issue 18, and issue 13's secrets and portable ids): every new
 * folder is reported with the argument to paste, pasting it packages the folder with the variable that moves
 * it, and credentials never leave the run, on both runners.
 */

// Several discover runs per test, each with a code scan: minutes on a busy 2-core machine.
vi.setConfig({ testTimeout: 600_000 });

const EXPECTED_INCLUDES = [
  "~/.cache/xdglib",
  "~/.homelib=HOMELIB_HOME",
  "~/.mixed",
  "~/.tiny-cache",
  "~/.writerlib=WRITERLIB_HOME",
];

/** The local runner scans the host python's whole sys.path: give it time on a busy machine. */
const runCli = (args: readonly string[], opts: CliOptions = {}) => run(args, { timeoutMs: 240_000, ...opts });

function json(stdout: string) {
  return discoverResult.parse(JSON.parse(stdout));
}

function assetsById(doc: ReturnType<typeof json>) {
  return Object.fromEntries(doc.lock.assets.map((a) => [a.id, a]));
}

/** What the pasted run must put in the lock, whatever the runner. */
function expectPackaged(doc: ReturnType<typeof json>) {
  const byId = assetsById(doc);
  expect(Object.keys(byId)).toEqual([
    "include-cache-xdglib",
    "include-homelib",
    "include-mixed",
    "include-tiny-cache",
    "include-writerlib",
  ]);
  expect(byId["include-cache-xdglib"]).toMatchObject({ target: "xdglib", env: { XDG_CACHE_HOME: "/cache" }, files: 1, bytes: 2048 });
  expect(byId["include-homelib"]).toMatchObject({
    target: "include/homelib",
    env: { HOMELIB_HOME: "/cache/include/homelib" },
    bytes: 1500,
  });
  expect(byId["include-tiny-cache"]).toMatchObject({ target: "include/tiny-cache", env: {}, home: ".tiny-cache", bytes: 3072 });
  expect(byId["include-tiny-cache"]?.writable).toBeUndefined();
  expect(byId["include-writerlib"]).toMatchObject({ env: { WRITERLIB_HOME: "/cache/include/writerlib" }, writable: true });
  // Secrets below an included folder are skipped: only data.bin is staged.
  expect(byId["include-mixed"]).toMatchObject({ files: 1, bytes: 1000, home: ".mixed" });
  for (const a of doc.lock.assets) expect(a.notes?.length, a.id).toBeGreaterThan(0);
}

async function expectNoSecretBytes(project: TempProject, outputs: string[]) {
  for (const text of outputs) expect(text).not.toContain(SECRET);
  expect(await readFile(project.path("mlpack.lock.json"), "utf8")).not.toContain(SECRET);
  expect(await filesContaining(project.path(".mlpack"), SECRET)).toEqual([]);
}

async function secretRefusals(project: TempProject, runner: string[]) {
  for (const folder of ["~/.aws", "$HOME/.docker", "~/.ssh", "~/.netrc", "~/.mixed/.aws/cli"]) {
    const r = await runCli(["--json", "discover", ...runner, "--include", folder, "--", "python3", "app.py"], {
      cwd: project.dir,
    });
    expect(r.code, folder).toBe(2);
    const err = errorDocument.parse(JSON.parse(r.stdout)).error;
    expect(err.code).toBe("E_INCLUDE_SECRET");
    expect(err.message).toMatch(/is a secret \((AWS credentials|Docker registry credentials|SSH keys|netrc credentials)\)/);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  }
}

describe("unknown caches with --runner local", () => {
  async function localProject() {
    return useTempProject({ "app.py": APP, ...LIBS });
  }

  it("reports every new folder however small with the argument to paste; pasting packages them, --check agrees", async () => {
    const project = await localProject();
    const first = await runCli(["discover", "--runner", "local", "--", "python3", "app.py"], { cwd: project.dir });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/~\/\.tiny-cache +1 file +3\.0 KiB +small: settings or state\? +--include '~\/\.tiny-cache'/);
    const printed = printedIncludes(first.stdout);
    expect(printed).toEqual(EXPECTED_INCLUDES);
    expect(first.stdout).toMatch(/HOMELIB_HOME, read in homelib\/__init__\.py:4/);
    expect(first.stdout).toContain("XDG_CACHE_HOME, the platformdirs rule");

    const args = ["discover", "--runner", "local", ...printed.flatMap((p) => ["--include", p]), "--writable", "include-writerlib"];
    const pasted = await runCli(["--json", "--verbose", ...args, "--", "python3", "app.py"], { cwd: project.dir });
    expect(pasted.code, pasted.stderr).toBe(0);
    const doc = json(pasted.stdout);
    expectPackaged(doc);
    expect(doc.unclassified).toEqual([]);
    expect(doc.lock.assets.find((a) => a.id === "include-homelib")?.source).toBe("~/.homelib");
    expect(pasted.stderr).toContain("not packaging a secret: ~/.mixed/.netrc");
    expect(pasted.stderr).toContain("not packaging a secret: ~/.mixed/keys/.ssh");
    await expectNoSecretBytes(project, [pasted.stdout, pasted.stderr, first.stdout, first.stderr]);

    const check = await runCli([...args, "--check", "--", "python3", "app.py"], { cwd: project.dir });
    expect(check.code, check.stderr).toBe(0);
    const bundle = await runCli(["bundle"], { cwd: project.dir });
    expect(bundle.code, bundle.stderr).toBe(0);
    expect(await filesContaining(project.path(".mlpack", "oci"), SECRET)).toEqual([]);
    expect((await filesContaining(project.path(".mlpack", "oci"), "hhhhhhhhhh")).length).toBeGreaterThan(0);
  });

  it("the lock is byte-identical in two checkouts: ids, targets and sources never name the host's folders", async () => {
    const includes = ["--include", "~/.tiny-cache", "--include", "$HOME/.homelib", "--include", "generated"];
    // A folder of the project (outside the run's HOME, so outside the local runner's diff) holding a secret.
    const app = `${APP}\nos.makedirs("generated", exist_ok=True)\nopen("generated/out.bin", "w").write("g" * 10)\nopen("generated/.netrc", "w").write("${SECRET}")\n`;
    const locks: string[] = [];
    for (let i = 0; i < 2; i++) {
      const project = await useTempProject({ "app.py": app, ...LIBS });
      const r = await runCli(["discover", "--runner", "local", ...includes, "--", "python3", "app.py"], { cwd: project.dir });
      expect(r.code, r.stderr).toBe(0);
      const lock = await readFile(project.path("mlpack.lock.json"), "utf8");
      expect(lock).not.toContain(project.dir);
      expect(r.stderr).toContain("not packaging a secret: ./generated/.netrc");
      await expectNoSecretBytes(project, [r.stdout, r.stderr]);
      locks.push(lock);
    }
    expect(locks[1]).toBe(locks[0]);
    const lock = JSON.parse(locks[0] as string);
    expect(lock.assets.map((a: { id: string; source: string; target: string }) => [a.id, a.source, a.target])).toEqual([
      ["include-homelib", "~/.homelib", "include/homelib"],
      ["include-project-generated", "./generated", "include/project-generated"],
      ["include-tiny-cache", "~/.tiny-cache", "include/tiny-cache"],
    ]);
  });

  it("an unquoted ~ the shell expanded to the host's HOME is taken as the run's, with a warning", async () => {
    const project = await localProject();
    const hostHome = process.env.HOME ?? "/root";
    const r = await runCli(["--json", "discover", "--runner", "local", "--include", `${hostHome}/.tiny-cache`, "--", "python3", "app.py"], {
      cwd: project.dir,
    });
    expect(r.code, r.stderr).toBe(0);
    const doc = json(r.stdout);
    expect(doc.lock.assets.map((a) => a.id)).toEqual(["include-tiny-cache"]);
    expect(doc.warnings).toContainEqual(expect.stringContaining(`--include ${hostHome}/.tiny-cache: taken as ~/.tiny-cache in the run`));
    expect(doc.warnings).toContainEqual(expect.stringContaining("--include '~/.tiny-cache'"));
  });

  it("a path that does not exist is exit 2 naming it and the nearest new folders", async () => {
    const project = await localProject();
    const r = await runCli(["--json", "discover", "--runner", "local", "--include", "~/.tiny-cahce", "--", "python3", "app.py"], {
      cwd: project.dir,
    });
    expect(r.code).toBe(2);
    const err = errorDocument.parse(JSON.parse(r.stdout)).error;
    expect(err).toMatchObject({ code: "E_PATH_NOT_FOUND" });
    expect(err.message).toBe("--include ~/.tiny-cahce: ~/.tiny-cahce does not exist in the run (HOME is a fresh folder)");
    expect(err.hint).toMatch(/^New folders of this run, nearest first: --include '~\/\.tiny-cache' /);
    expect((err.details as { nearest: string[] }).nearest[0]).toBe("~/.tiny-cache");
    expect(err.message + (err.hint ?? "")).not.toContain(".mlpack/tmp");
  });

  it("a new file directly in HOME is reported as a file; including it is exit 2", async () => {
    const project = await useTempProject({
      "app.py": 'import os\nopen(os.path.expanduser("~/.mylib.json"), "w").write("{}")\n',
    });
    const r = await runCli(["--json", "discover", "--runner", "local", "--", "python3", "app.py"], { cwd: project.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(json(r.stdout).unclassified).toEqual([
      { path: "~/.mylib.json", kind: "file", include: null, files: 1, bytes: 2, relocation: { via: "home" } },
    ]);
    const inc = await runCli(["discover", "--runner", "local", "--include", "~/.mylib.json", "--", "python3", "app.py"], { cwd: project.dir });
    expect(inc.code).toBe(2);
    expect(inc.stderr).toContain("--include ~/.mylib.json: ~/.mylib.json is a file; mlpack packages folders");
  });

  it("including a credentials folder is exit 2 naming the rule, before anything runs", async () => {
    const project = await localProject();
    await secretRefusals(project, ["--runner", "local"]);
  });

  it("--writable naming no asset is exit 2 listing the assets", async () => {
    const project = await localProject();
    const r = await runCli(["discover", "--runner", "local", "--include", "~/.tiny-cache", "--writable", "nltk", "--", "python3", "app.py"], {
      cwd: project.dir,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--writable nltk: no such asset in this run");
    expect(r.stderr).toContain("Assets of this run: include-tiny-cache.");
  });

  it("an mlpack.json catalog entry claims its library's folder, with its variable and writable flag", async () => {
    const catalog = [{ id: "writerlib", paths: ["~/.writerlib"], env: { WRITERLIB_HOME: "{dir}" }, writable: true, notes: ["stamps .last_used"] }];
    const project = await useTempProject({ "app.py": APP, ...LIBS, "mlpack.json": JSON.stringify({ catalog }) });
    const r = await runCli(["--json", "discover", "--runner", "local", "--", "python3", "app.py"], {
      cwd: project.dir,
      env: { WRITERLIB_HOME: "/nonexistent/should-be-ignored" },
    });
    expect(r.code, r.stderr).toBe(0);
    const doc = json(r.stdout);
    expect(doc.lock.assets).toEqual([
      expect.objectContaining({
        id: "writerlib",
        library: "writerlib",
        source: "~/.writerlib",
        target: "writerlib",
        env: { WRITERLIB_HOME: "/cache/writerlib" },
        writable: true,
        notes: ["stamps .last_used"],
      }),
    ]);
    expect(doc.unclassified.map((u) => u.include)).not.toContain("~/.writerlib=WRITERLIB_HOME");
  });
});

const RUN = randomBytes(4).toString("hex");
const LABEL = `${TEST_LABEL_KEY}=unknown-${RUN}`;
const LIB_IMAGE = `mlpack-test/unknown-libs:${RUN}`;

/** The python test image plus the three libraries in its dist-packages (legacy builder, removed afterwards). */
async function buildLibImage(): Promise<void> {
  const ctx = await tempProject(Object.fromEntries(Object.entries(LIBS).map(([k, v]) => [`libs/${k}`, v])));
  try {
    await writeFile(
      join(ctx.dir, "Dockerfile"),
      `FROM ${testEnv().pythonImage}\nCOPY libs/ /usr/local/lib/python3.11/dist-packages/\n`,
    );
    await execa("docker", ["build", "--network", "none", "--label", LABEL, "-t", LIB_IMAGE, "."], {
      cwd: ctx.dir,
      env: { DOCKER_BUILDKIT: "0" },
    });
  } finally {
    await ctx.cleanup();
  }
}

await describeReal(["pythonImage"], "unknown caches with the docker runner", () => {
  beforeAll(buildLibImage, 180_000);
  afterAll(async () => {
    await removeByLabel(LABEL);
  });
  const runner = ["--image", LIB_IMAGE, "--network", "none"];

  it("finds the variable in the image's site-packages, the pasted arguments package everything, any include form gives the same lock", async () => {
    const project = await useTempProject({ "app.py": APP });
    const first = await runCli(["discover", ...runner, "--", "python3", "app.py"], { cwd: project.dir });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/\/root\/\.tiny-cache +1 file +3\.0 KiB +small: settings or state\? +--include '~\/\.tiny-cache'/);
    const printed = printedIncludes(first.stdout);
    expect(printed).toEqual(EXPECTED_INCLUDES);
    expect(first.stdout).toMatch(/HOMELIB_HOME, read in homelib\/__init__\.py:4/);

    const pastedArgs = ["discover", ...runner, ...printed.flatMap((p) => ["--include", p]), "--writable", "include-writerlib"];
    const pasted = await runCli(["--json", "--verbose", ...pastedArgs, "--", "python3", "app.py"], { cwd: project.dir });
    expect(pasted.code, pasted.stderr).toBe(0);
    const doc = json(pasted.stdout);
    expectPackaged(doc);
    expect(doc.lock.assets.find((a) => a.id === "include-homelib")?.source).toBe("/root/.homelib");
    expect(doc.assets.find((a) => a.id === "include-homelib")?.relocation).toMatchObject({
      via: "flag",
      variable: "HOMELIB_HOME",
    });
    expect(pasted.stderr).toContain("not packaging a secret: /root/.mixed/.netrc");
    await expectNoSecretBytes(project, [first.stdout, first.stderr, pasted.stdout, pasted.stderr]);

    // $HOME/x, absolute paths and the scan's own proposal (no =VAR) describe the same folders: --check passes.
    const forms = [
      "$HOME/.cache/xdglib",
      "/root/.homelib",
      "${HOME}/.mixed",
      "/root/.tiny-cache/",
      "~/.writerlib=WRITERLIB_HOME",
    ];
    const check = await runCli(
      ["discover", ...runner, ...forms.flatMap((p) => ["--include", p]), "--writable", "include-writerlib", "--check", "--", "python3", "app.py"],
      { cwd: project.dir },
    );
    expect(check.code, check.stderr).toBe(0);

    const bundle = await runCli(["bundle"], { cwd: project.dir });
    expect(bundle.code, bundle.stderr).toBe(0);
    expect(await filesContaining(project.path(".mlpack", "oci"), SECRET)).toEqual([]);
  });

  it("a path that does not exist is exit 2 naming it and the nearest new folders; secret folders are refused", async () => {
    const project = await useTempProject({ "app.py": APP });
    const r = await runCli(["--json", "discover", ...runner, "--include", "~/.homelb", "--", "python3", "app.py"], { cwd: project.dir });
    expect(r.code).toBe(2);
    const err = errorDocument.parse(JSON.parse(r.stdout)).error;
    expect(err.message).toBe("--include ~/.homelb: ~/.homelb does not exist in the run (HOME=/root)");
    expect((err.details as { nearest: string[] }).nearest[0]).toBe("~/.homelib");
    await secretRefusals(project, runner);
  });
});
