import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { envName, SETTINGS, type SectionName } from "../../src/config/settings.js";
import { ERROR_CODES } from "../../src/error-codes.js";
import { cliProgram, REPO_ROOT } from "./support.js";

describe("docs/cli.md", () => {
  it("is what scripts/gen-cli-docs.mjs generates from the built program (regenerate when this fails)", async () => {
    const run = await execa("node", ["scripts/gen-cli-docs.mjs", "--check"], {
      cwd: REPO_ROOT,
      reject: false,
    });
    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
  });

  it("documents every command, every flag with its variable and config key, and every exit code", async () => {
    const doc = await readFile(join(REPO_ROOT, "docs/cli.md"), "utf8");
    for (const sub of cliProgram().commands) {
      expect(doc).toContain(`## mlpack ${sub.name()}`);
      for (const option of sub.options) expect(doc).toContain(`\`${option.flags}\``);
    }
    for (const [section, specs] of Object.entries(SETTINGS) as [SectionName, typeof SETTINGS.global][]) {
      for (const spec of specs) {
        if (spec.inConfig !== false && spec.flags !== "") expect(doc).toContain(`\`${section}.${spec.key}\``);
        if (section !== "global" || !["config", "cwd"].includes(spec.key))
          expect(doc).toContain(envName(section, spec.key));
      }
    }
    const exits = doc.slice(doc.indexOf("## Exit codes"), doc.indexOf("## Error codes"));
    const listed = [...exits.matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]));
    const emitted = [0, ...new Set(Object.values(ERROR_CODES).map((s) => s.exitCode))].sort((a, b) => a - b);
    expect(listed, "the exit codes are 0 and those of the registry's error codes").toEqual(emitted);
    for (const code of Object.keys(ERROR_CODES)) expect(exits).toContain(`\`${code}\``);
    expect(doc).toContain("`E_DOCKER_UNAVAILABLE`");
  });
});
