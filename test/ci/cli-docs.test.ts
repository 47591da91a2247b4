import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { envName, SETTINGS, type SectionName } from "../../src/config/settings.js";
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
    for (const code of [0, 1, 2, 3, 4, 5, 130]) expect(doc).toMatch(new RegExp(`^\\| ${code} \\|`, "m"));
    expect(doc).toContain("`E_DOCKER_UNAVAILABLE`");
  });
});
