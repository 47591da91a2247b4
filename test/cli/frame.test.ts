import { writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { useTempProject } from "../support/project.js";

const COMMANDS = ["discover", "bundle", "push", "dockerfile", "verify", "init"];

describe("mlpack CLI frame (spawned bin/mlpack)", () => {
  it("--help lists every command and exits 0", async () => {
    const r = await runCli(["--help"]);
    expect(r.code).toBe(0);
    for (const name of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^\\s+${name}\\b`, "m"));
    expect(r.stdout).toContain("--json");
  });

  it("--version prints the package version", async () => {
    const r = await runCli(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("a bad mlpack.json is exit 2 naming the key and the file, in text", async () => {
    const project = await useTempProject({ "mlpack.json": '{"bundle": {"compresion": "gzip"}}' });
    const r = await runCli(["bundle"], { cwd: project.dir });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain('unknown key "bundle.compresion"');
    expect(r.stderr).toContain(project.path("mlpack.json"));
    expect(r.stderr).toMatch(/hint: Valid keys here: .*compression/);
  });

  it("a bad mlpack.json under --json is one JSON error document on stdout", async () => {
    const project = await useTempProject({ "mlpack.json": '{"push": {"concurrency": "many"}}' });
    const r = await runCli(["push", "--json"], { cwd: project.dir });
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ ok: false, schemaVersion: 1, error: { code: "E_CONFIG" } });
    expect(doc.error.message).toContain('"push.concurrency"');
    expect(doc.error.hint).toBeTruthy();
  });

  it("--config names another file; -C changes the project dir", async () => {
    const project = await useTempProject({ "sub/other.json": '{"verify": {"uid": "x"}}' });
    const r = await runCli(["-C", "sub", "--config", "other.json", "bundle"], { cwd: project.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('key "verify.uid" must be a whole number from 1 to 2147483647');
    await writeFile(project.path("sub", "mlpack.json"), '{"nope": 1}');
    const r2 = await runCli(["bundle", "-C", "sub"], { cwd: project.dir });
    expect(r2.stderr).toContain('unknown key "nope"');
  });

  it("an unknown flag is a usage error (exit 2), JSON under --json", async () => {
    const r = await runCli(["bundle", "--bogus", "--json"]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error).toMatchObject({
      code: "E_USAGE",
      message: "unknown option '--bogus'",
    });
  });

  it("a bad MLPACK_* value is exit 2 naming the variable", async () => {
    const project = await useTempProject();
    const r = await runCli(["push"], { cwd: project.dir, env: { MLPACK_PUSH_CONCURRENCY: "lots" } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("MLPACK_PUSH_CONCURRENCY=lots: expected a whole number from 1 to 64");
  });

  it("an unreachable engine is exit 3 with a hint", async () => {
    const project = await useTempProject();
    const r = await runCli(["discover", "--", "true"], {
      cwd: project.dir,
      env: { DOCKER_HOST: "unix:///nonexistent" },
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("Docker engine unreachable at unix:///nonexistent");
    expect(r.stderr).toMatch(/hint: .*DOCKER_HOST.*--runner local/);
    const j = await runCli(["discover", "--json", "--", "true"], {
      cwd: project.dir,
      env: { DOCKER_HOST: "unix:///nonexistent" },
    });
    expect(j.code).toBe(3);
    expect(JSON.parse(j.stdout).error.code).toBe("E_DOCKER_UNAVAILABLE");
  });

  it("output has no escape codes when piped, even without NO_COLOR", async () => {
    const r = await runCli(["push", "--bogus"], { env: { NO_COLOR: undefined, CI: undefined } });
    expect(r.stderr).not.toMatch(/\x1b\[/);
  });
});
