import { access, readFile, writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { errorDocument } from "../../src/cli/results/common.js";
import { initResult } from "../../src/cli/results/init.js";
import { loadConfigFile } from "../../src/config/resolve.js";
import { SETTINGS } from "../../src/config/settings.js";
import { runCli } from "../support/cli.js";
import { testEnv } from "../support/env.js";
import { useTempProject } from "../support/project.js";
import { describeReal } from "../support/real.js";
import { uniqueRepo } from "../support/registry.js";
import { fixtureProject, jsonDoc } from "./support.js";

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );
const USER_CONFIG = `${JSON.stringify({ push: { repository: "mine" } })}\n`;

describe("mlpack init", () => {
  it("writes mlpack.json and the GitHub workflow, and says so in its --json result", async () => {
    const project = await useTempProject();
    const run = await runCli(["init", "--ci", "github", "--json"], { cwd: project.dir });
    expect(run.code).toBe(0);
    const doc = initResult.parse(jsonDoc(run.stdout));
    expect(doc.files.map((f) => [f.kind, f.action])).toEqual([
      ["config", "created"],
      ["schema", "created"],
      ["workflow", "created"],
    ]);
    expect(await readFile(project.path(".github/workflows/mlpack.yml"), "utf8")).toContain(
      "mlpack discover --check",
    );
    expect(await exists(project.path(".gitlab-ci.yml"))).toBe(false);
  });

  it("refuses to overwrite without --force: exit 2 naming the file, nothing written", async () => {
    const project = await useTempProject({ "mlpack.json": USER_CONFIG });
    const run = await runCli(["init", "--ci", "gitlab"], { cwd: project.dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`refusing to overwrite ${project.path("mlpack.json")}`);
    expect(run.stderr).toContain("--force");
    expect(await readFile(project.path("mlpack.json"), "utf8")).toBe(USER_CONFIG);
    // Checked before writing anything: the workflow that did not exist is not created either.
    expect(await exists(project.path(".gitlab-ci.yml"))).toBe(false);

    const json = await runCli(["init", "--json"], { cwd: project.dir });
    const error = errorDocument.parse(jsonDoc(json.stdout));
    expect(error.error.code).toBe("E_FILE_EXISTS");
    expect(error.error.details).toEqual({ existing: [project.path("mlpack.json")] });
  });

  it("refuses when only the workflow exists, and --force overwrites both", async () => {
    const project = await useTempProject({ ".gitlab-ci.yml": "stages: [mine]\n" });
    const refused = await runCli(["init", "--ci", "gitlab"], { cwd: project.dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(project.path(".gitlab-ci.yml"));
    expect(await exists(project.path("mlpack.json"))).toBe(false);

    await writeFile(project.path("mlpack.json"), USER_CONFIG);
    const forced = await runCli(["init", "--ci", "gitlab", "--force", "--json"], { cwd: project.dir });
    expect(forced.code).toBe(0);
    expect(initResult.parse(jsonDoc(forced.stdout)).files.map((f) => f.action)).toEqual([
      "overwritten",
      "created",
      "overwritten",
    ]);
    expect(await readFile(project.path(".gitlab-ci.yml"), "utf8")).toContain("mlpack bundle");
    expect(await readFile(project.path("mlpack.json"), "utf8")).toContain('"$schema"');
  });

  it("--force replaces a broken mlpack.json (the config error's own hint says to)", async () => {
    const project = await useTempProject({ "mlpack.json": "{ not json" });
    const run = await runCli(["init", "--force"], { cwd: project.dir });
    expect(run.stderr).not.toContain("error");
    expect(run.code).toBe(0);
    expect(JSON.parse(await readFile(project.path("mlpack.json"), "utf8"))).toHaveProperty("discover");
  });

  it("mlpack.json's $schema resolves: a copy of the shipped schema next to it", async () => {
    const project = await useTempProject();
    expect((await runCli(["init"], { cwd: project.dir })).code).toBe(0);
    const config = JSON.parse(await readFile(project.path("mlpack.json"), "utf8")) as { $schema: string };
    const schemaPath = new URL(config.$schema, `file://${project.path("mlpack.json")}`).pathname;
    expect(schemaPath).toBe(project.path("mlpack.schema.json"));
    expect(await readFile(schemaPath, "utf8")).toBe(
      await readFile(new URL("../../schemas/mlpack.schema.json", import.meta.url), "utf8"),
    );
  });

  it("-q prints only the files written; the advice goes to stderr and not under -q", async () => {
    const project = await useTempProject();
    const loud = await runCli(["init", "--ci", "github"], { cwd: project.dir });
    expect(loud.stdout.trim().split("\n")).toEqual([
      "wrote mlpack.json",
      "wrote mlpack.schema.json",
      "wrote .github/workflows/mlpack.yml",
    ]);
    expect(loud.stderr).toContain("Next: set discover.command");
    const quiet = await runCli(["init", "--force", "-q"], { cwd: project.dir });
    expect(quiet.code).toBe(0);
    expect(quiet.stdout).toBe("overwrote mlpack.json\noverwrote mlpack.schema.json\n");
    expect(quiet.stderr).toBe("");
  });

  it("writes every settable key (default, or null = unset) and the file validates", async () => {
    const project = await useTempProject();
    expect((await runCli(["init"], { cwd: project.dir })).code).toBe(0);
    const raw = JSON.parse(await readFile(project.path("mlpack.json"), "utf8")) as Record<
      string,
      Record<string, unknown>
    >;
    for (const [section, specs] of Object.entries(SETTINGS)) {
      for (const spec of specs.filter((s) => s.inConfig !== false)) {
        expect(raw[section], `${section}.${spec.key}`).toHaveProperty(spec.key, spec.default ?? null);
      }
    }
    expect(raw.discover?.$comment).toEqual(
      expect.arrayContaining([expect.stringContaining("MLPACK_DISCOVER_IMAGE")]),
    );
    await expect(loadConfigFile(project.path("mlpack.json"), true)).resolves.toHaveProperty("discover");
  });
});

await describeReal("registry", "commands run with no flags from the mlpack.json init wrote", () => {
  it("discover, bundle, push and dockerfile take everything from the file", async () => {
    const project = await fixtureProject();
    expect((await runCli(["init"], { cwd: project.dir })).code).toBe(0);
    const config = JSON.parse(await readFile(project.path("mlpack.json"), "utf8")) as Record<
      string,
      Record<string, unknown>
    >;
    const repository = uniqueRepo("init");
    Object.assign(config.discover ?? {}, { runner: "local", command: ["python3", "app.py"] });
    Object.assign(config.push ?? {}, { registry: testEnv().registry, repository });
    Object.assign(config.dockerfile ?? {}, { output: "Dockerfile.mlpack" });
    await writeFile(project.path("mlpack.json"), `${JSON.stringify(config, null, 2)}\n`);

    const discover = await runCli(["discover"], { cwd: project.dir });
    expect(discover.stderr).not.toContain("error:");
    expect(discover.code).toBe(0);
    expect(await readFile(project.path("mlpack.lock.json"), "utf8")).toContain('"runner": "local"');
    expect((await runCli(["bundle"], { cwd: project.dir })).code).toBe(0);
    const push = await runCli(["push"], { cwd: project.dir });
    expect(push.code).toBe(0);
    expect(push.stdout.trim()).toMatch(
      new RegExp(`^${testEnv().registry}/${repository}@sha256:[0-9a-f]{64}$`),
    );
    const dockerfile = await runCli(["dockerfile"], { cwd: project.dir });
    expect(dockerfile.code).toBe(0);
    expect(await readFile(project.path("Dockerfile.mlpack"), "utf8")).toContain(push.stdout.trim());
  });
});
