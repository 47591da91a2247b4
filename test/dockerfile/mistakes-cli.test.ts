import { chmod, mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { lockDigest } from "../../src/lock/lock-digest.js";
import { serializeLock } from "../../src/lock/lock.js";
import { updateState } from "../../src/state/state.js";
import { CLI_BIN, type CliResult, runCli } from "../support/cli.js";
import { useTempProject } from "../support/project.js";
import { nltkGensimTorch } from "./locks.js";

/**
 * Issue 14's newcomer mistakes on the dockerfile and verify side, through the built CLI: each has its own
 * error code and exit 2, names the path or flag the user gave (never our temp file), fails fast, and never
 * says "bug in mlpack".
 */
const MANIFEST = `sha256:${"1".repeat(64)}`;
const PUSHED = `127.0.0.1:5000/demo/assets@${MANIFEST}`;

async function project(extra: Record<string, string> = {}) {
  const p = await useTempProject({
    "app.py": "def handler(e, c): pass\n",
    "mlpack.lock.json": serializeLock(nltkGensimTorch),
    ...extra,
  });
  await updateState(p.dir, {
    bundle: { manifestDigest: MANIFEST, layout: p.path(".mlpack/oci"), lockDigest: lockDigest(nltkGensimTorch), assetRoot: "/cache" },
    push: { reference: PUSHED, registry: "127.0.0.1:5000", repository: "demo/assets", tag: "t", digest: MANIFEST },
  });
  return p;
}

interface ErrorDoc {
  ok: false;
  error: { code: string; message: string; hint?: string };
}

function expectMistake(r: CliResult, code: string, names: string): ErrorDoc {
  expect(r.code, r.stdout + r.stderr).toBe(2);
  const doc = JSON.parse(r.stdout) as ErrorDoc;
  expect(doc.error.code).toBe(code);
  expect(doc.error.message).toContain(names);
  expect(`${doc.error.message} ${doc.error.hint ?? ""}`).not.toMatch(/bug in mlpack|\.tmp\b|EACCES|EISDIR|ENOENT/);
  return doc;
}

describe("dockerfile and verify: the user's mistakes are named (built CLI)", () => {
  it("-o into a folder without write permission: E_PERMISSION naming the user's path, not a temp file", async () => {
    const p = await project();
    await mkdir(p.path("locked"));
    await chmod(p.dir, 0o755);
    await chmod(p.path("locked"), 0o555);
    // Root ignores permissions, so the CLI runs as nobody, as a user without rights there would.
    const r = await execa(process.execPath, [CLI_BIN, "--json", "dockerfile", "-o", "locked/Dockerfile"], {
      cwd: p.dir,
      uid: 65534,
      gid: 65534,
      env: { HOME: "/tmp", NO_COLOR: "1", CI: "true", PATH: process.env.PATH },
      extendEnv: false,
      reject: false,
      timeout: 60_000,
    });
    expectMistake({ code: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr }, "E_PERMISSION", p.path("locked/Dockerfile"));
    expect(await readdir(p.path("locked"))).toEqual([]);
  });

  it("-o onto an existing directory: E_IS_DIRECTORY naming it", async () => {
    const p = await project();
    await mkdir(p.path("Dockerfile"));
    const r = await runCli(["--json", "dockerfile", "-o", "Dockerfile"], { cwd: p.dir });
    expectMistake(r, "E_IS_DIRECTORY", p.path("Dockerfile"));
    expect(await readdir(p.path("Dockerfile"))).toEqual([]);
  });

  it("-o /nonexistent/sub/Dockerfile: E_PATH_NOT_FOUND naming the missing folder, and no folder is made", async () => {
    const p = await project();
    const missing = p.path("nonexistent", "sub");
    const r = await runCli(["--json", "dockerfile", "-o", `${missing}/Dockerfile`], { cwd: p.dir });
    expectMistake(r, "E_PATH_NOT_FOUND", missing);
    await expect(stat(p.path("nonexistent"))).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("-o /proc/x/Dockerfile fails fast naming /proc/x (it used to spin forever)", async () => {
    const p = await project();
    const r = await runCli(["--json", "dockerfile", "-o", "/proc/x/Dockerfile"], { cwd: p.dir, timeoutMs: 30_000 });
    expectMistake(r, "E_PATH_NOT_FOUND", "/proc/x");
  });

  it("-o under a file: E_NOT_DIRECTORY naming the path", async () => {
    const p = await project({ "notes.txt": "x" });
    const r = await runCli(["--json", "dockerfile", "-o", "notes.txt/Dockerfile"], { cwd: p.dir });
    expectMistake(r, "E_NOT_DIRECTORY", p.path("notes.txt"));
  });

  it("dockerfile.output outside the project in mlpack.json is refused; the file is not written", async () => {
    const p = await project({ "mlpack.json": JSON.stringify({ dockerfile: { output: "../.bashrc-mlpack-test" } }) });
    const r = await runCli(["--json", "dockerfile"], { cwd: p.dir });
    const doc = expectMistake(r, "E_CONFIG", 'mlpack.json: dockerfile.output "../.bashrc-mlpack-test": must stay inside the project');
    expect(doc.error.hint).toContain(p.path("mlpack.json"));
    await expect(stat(p.path("..", ".bashrc-mlpack-test"))).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("a relative -o that leaves the project through a symlinked folder is refused; an absolute one is taken", async () => {
    const p = await project();
    const outside = await useTempProject();
    await execa("ln", ["-s", outside.dir, p.path("out")]);
    const r = await runCli(["--json", "dockerfile", "-o", "out/Dockerfile"], { cwd: p.dir });
    expectMistake(r, "E_OUTSIDE_PROJECT", "-o out/Dockerfile");
    const abs = await runCli(["--json", "dockerfile", "-o", `${outside.dir}/Dockerfile`], { cwd: p.dir });
    expect(abs.code, abs.stdout).toBe(0);
    expect((await stat(`${outside.dir}/Dockerfile`)).isFile()).toBe(true);
  });

  it("a newline in --base is a usage error naming --base", async () => {
    const p = await project();
    const r = await runCli(["--json", "dockerfile", "--base", "python:3.12\nRUN echo PWNED"], { cwd: p.dir });
    expectMistake(r, "E_USAGE", '--base "python:3.12\\nRUN echo PWNED": must be an image reference');
  });

  it("--uid 993.5 and --uid 0 for verify are usage errors before any engine call", async () => {
    const p = await project();
    for (const [uid, rule] of [
      ["993.5", "whole number"],
      ["0", "Lambda never runs a function as root"],
    ] as const) {
      const r = await runCli(["--json", "verify", "--uid", uid, "some-image"], {
        cwd: p.dir,
        // No engine is needed to refuse it: an unreachable one proves no request was made first.
        env: { DOCKER_HOST: "unix:///nonexistent/docker.sock" },
      });
      expectMistake(r, "E_USAGE", `--uid ${uid}: must`);
      expect(r.stdout).toContain(rule);
    }
  });

  it("-o writes the Dockerfile and .dockerignore, says so, and a second run leaves .dockerignore alone", async () => {
    const p = await project({ ".dockerignore": "node_modules\n# keep\n!important" });
    const r = await runCli(["dockerfile", "-o", "Dockerfile"], { cwd: p.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`added .mlpack/ to ${p.path(".dockerignore")}`);
    const first = await readFile(p.path(".dockerignore"), "utf8");
    expect(first.startsWith("node_modules\n# keep\n!important\n")).toBe(true);
    expect(first).toMatch(/\n\.mlpack\/\n$/);
    const again = await runCli(["dockerfile", "-o", "Dockerfile"], { cwd: p.dir });
    expect(again.code).toBe(0);
    expect(again.stderr).not.toContain(".dockerignore");
    expect(await readFile(p.path(".dockerignore"), "utf8")).toBe(first);
    await writeFile(p.path(".dockerignore"), "/.mlpack\n");
    await runCli(["dockerfile", "-o", "Dockerfile"], { cwd: p.dir });
    expect(await readFile(p.path(".dockerignore"), "utf8")).toBe("/.mlpack\n");
  });
});
