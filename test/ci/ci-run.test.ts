import { cp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { formatBytes } from "../../src/cli/format.js";
import { runCli } from "../support/cli.js";
import { testEnv } from "../support/env.js";
import { type TempProject, tempProject } from "../support/project.js";
import { describeReal } from "../support/real.js";
import { uniqueRepo } from "../support/registry.js";
import { FIXTURE_DIR } from "./support.js";

const ESC = "\x1b[";

await describeReal(
  ["docker", "pythonImage", "registry"],
  "a simulated GitHub Actions run of the pipeline",
  () => {
    const env = testEnv();
    const discover = ["discover", "--image", env.pythonImage, "--network", "none"];
    const model = ["--", "python3", "app.py"];
    const outputs: string[] = [];
    let summaryPath = "";
    let cwd = "";
    let reference = "";
    const temps: TempProject[] = [];
    // The steps share one project, like the steps of one job, so it lives for the whole suite.
    beforeAll(async () => {
      const project = await tempProject();
      const scratch = await tempProject();
      temps.push(project, scratch);
      await cp(FIXTURE_DIR, project.dir, { recursive: true });
      cwd = project.dir;
      summaryPath = scratch.path("step-summary.md");
      await writeFile(summaryPath, "");
    });
    afterAll(async () => {
      await Promise.all(temps.map((t) => t.cleanup()));
    });

    /** Like the runner: CI and GITHUB_ACTIONS set, a step-summary file, pipes, and colour not disabled by us. */
    async function step(args: string[]) {
      const run = await runCli(args, {
        cwd,
        env: { CI: "true", GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: summaryPath, NO_COLOR: undefined },
        timeoutMs: 180_000,
      });
      outputs.push(run.stdout, run.stderr);
      return run;
    }

    it("discover → bundle → push succeed, warnings as ::warning:: lines, no escape sequences", async () => {
      const found = await step([...discover, ...model]);
      expect(found.code, found.stderr).toBe(0);
      expect(found.stderr).toMatch(
        /^::warning::not packaging a secret: \/root\/\.cache\/huggingface\/token$/m,
      );
      expect(found.stderr).not.toMatch(/^warning:/m);
      expect((await step(["bundle"])).code).toBe(0);
      const pushed = await step(["push", "--registry", env.registry, "--repository", uniqueRepo("ci-run")]);
      expect(pushed.code, pushed.stderr).toBe(0);
      reference = pushed.stdout.trim();
      expect(reference).toMatch(new RegExp(`^${env.registry}/test/ci-run-\\w+@sha256:[0-9a-f]{64}$`));
      for (const text of outputs) expect(text).not.toContain(ESC);
    });

    it("the drift guard passes on a second run and fails, naming the asset, when the model changes a file", async () => {
      const same = await step([...discover, "--check", ...model]);
      expect(same.code, same.stderr).toBe(0);
      expect(same.stdout).toContain("mlpack.lock.json is up to date.");
      const changed = await step([
        ...discover,
        "--check",
        "--env",
        "MLPACK_FIXTURE_VARIANT=changed",
        ...model,
      ]);
      expect(changed.code).toBe(1);
      expect(changed.stderr).toContain("mlpack.lock.json is out of date:\n  ~ nltk (digest, bytes changed)");
      expect(changed.stderr).toContain("hint: Run `mlpack discover` without --check");
      for (const text of outputs) expect(text).not.toContain(ESC);
    });

    it("the job summary holds the assets, the pushed reference and the bytes (needs Output.result wiring)", async () => {
      const summary = await readFile(summaryPath, "utf8");
      expect(summary).toContain("### mlpack discover");
      for (const id of ["gensim", "huggingface", "nltk", "torch"])
        expect(summary).toMatch(new RegExp(`^\\| \`${id}\` \\|`, "m"));
      expect(summary).toContain("### mlpack bundle");
      expect(summary).toContain(`Pushed \`${reference}\``);
      const lock = JSON.parse(await readFile(join(cwd, "mlpack.lock.json"), "utf8")) as {
        assets: { bytes: number }[];
      };
      for (const a of lock.assets) expect(summary).toContain(`| ${formatBytes(a.bytes)} | ${a.bytes} |`);
      const uploaded = /^\| uploaded \| (\d+) \| [^|]+ \| (\d+) \|$/m.exec(summary);
      expect(Number(uploaded?.[1])).toBeGreaterThan(0);
      expect(Number(uploaded?.[2])).toBeGreaterThan(0);
      expect(summary).toMatch(/^\| skipped \(already there\) \| \d+ \| [^|]+ \| \d+ \|$/m);
      expect(summary).not.toContain(ESC);
    });
  },
);
