import { existsSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { expect, it } from "vitest";
import { bundleResult } from "../../src/cli/results/bundle.js";
import { errorDocument } from "../../src/cli/results/common.js";
import { discoverResult } from "../../src/cli/results/discover.js";
import { dockerfileResult } from "../../src/cli/results/dockerfile.js";
import { pushResult } from "../../src/cli/results/push.js";
import { verifyResult } from "../../src/cli/results/verify.js";
import { runCli } from "../support/cli.js";
import { testEnv } from "../support/env.js";
import { useTempProject } from "../support/project.js";
import { describeReal } from "../support/real.js";
import { removeImagesAfterTest } from "../support/cleanup.js";
import { uniqueRepo } from "../support/registry.js";
import { fixtureProject, jsonDoc, REPO_ROOT } from "./support.js";

const HAS_DOCKERFILE = existsSync(join(REPO_ROOT, "src/cli/commands/dockerfile.ts"));
const HAS_VERIFY = existsSync(join(REPO_ROOT, "src/cli/commands/verify.ts"));

/** Parses stdout as the error document and checks the exit code and error code it reports. */
async function expectError(args: string[], cwd: string, exit: number, code: string | RegExp) {
  const run = await runCli(["--json", ...args], { cwd });
  const doc = errorDocument.parse(jsonDoc(run.stdout));
  expect(run.code).toBe(exit);
  expect(doc.error.code).toMatch(code);
  return doc;
}

await describeReal(["docker", "pythonImage", "registry"], "--json documents of a real pipeline", () => {
  const env = testEnv();
  const discoverArgs = ["discover", "--image", env.pythonImage, "--network", "none"];

  it("discover, bundle, push, dockerfile and verify print documents their schemas accept", async () => {
    const project = await fixtureProject();
    const cwd = project.dir;
    const discover = await runCli([...discoverArgs, "--json", "--", "python3", "app.py"], { cwd });
    expect(discover.code, discover.stderr).toBe(0);
    const d = discoverResult.parse(jsonDoc(discover.stdout));
    expect(d.assets.map((a) => a.id)).toEqual(["gensim", "huggingface", "nltk", "torch"]);
    expect(d.warnings).toEqual([expect.stringContaining("huggingface/token")]);

    const check = await runCli([...discoverArgs, "--check", "--json", "--", "python3", "app.py"], { cwd });
    expect(discoverResult.parse(jsonDoc(check.stdout))).toMatchObject({ checked: true, lockFile: null });

    // Own tags only: the fixture's default tag (mlpack-assets:<digest>) is the same in every test that loads it.
    const suffix = Math.random().toString(36).slice(2, 8);
    const assetsTag = `mlpack-test/ci-json-assets:${suffix}`;
    const tag = `mlpack-test/ci-json:${suffix}`;
    const repository = uniqueRepo("json");
    // The loaded and built images, and the asset image docker build pulls from the registry.
    removeImagesAfterTest([assetsTag, tag], [`${env.registry}/${repository}`]);
    const bundle = await runCli(["bundle", "--load", "--tag", assetsTag, "--json"], { cwd });
    expect(bundle.code, bundle.stderr).toBe(0);
    const b = bundleResult.parse(jsonDoc(bundle.stdout));
    expect(b.loaded?.tag).toBe(assetsTag);

    const push = await runCli(["push", "--registry", env.registry, "--repository", repository, "--json"], {
      cwd,
    });
    expect(push.code, push.stderr).toBe(0);
    const p = pushResult.parse(jsonDoc(push.stdout));
    expect(p.digest).toBe(b.digest);
    expect(p.uploadedBytes + p.skippedBytes).toBe(p.blobs.reduce((n, x) => n + x.size, 0));

    if (!HAS_DOCKERFILE) return;
    const dockerfile = await runCli(
      [
        "dockerfile",
        "--target",
        "generic",
        "--base",
        env.pythonImage,
        "--cmd",
        "python3 app.py",
        "-o",
        "Dockerfile.mlpack",
        "--json",
      ],
      { cwd },
    );
    expect(dockerfile.code, dockerfile.stderr).toBe(0);
    const f = dockerfileResult.parse(jsonDoc(dockerfile.stdout));
    expect(f.output).toBe(project.path("Dockerfile.mlpack"));

    if (!HAS_VERIFY) return;
    await execa(
      "docker",
      ["build", "-f", "Dockerfile.mlpack", "-t", tag, "--label", "dev.mlpack.test=ci", "."],
      { cwd },
    );
    const verify = await runCli(["verify", tag, "--json", "--", "python3", "-c", "import nltk"], { cwd });
    expect(verify.code, verify.stderr).toBe(0);
    expect(verifyResult.parse(jsonDoc(verify.stdout))).toMatchObject({ command: "verify", image: tag });
  }, 300_000);

  it("failures print the error document: drift, missing lock, bad flag, bad config, registry", async () => {
    const project = await fixtureProject();
    const cwd = project.dir;
    expect((await runCli([...discoverArgs, "--", "python3", "app.py"], { cwd })).code).toBe(0);
    const drift = await expectError(
      [...discoverArgs, "--check", "--env", "MLPACK_FIXTURE_VARIANT=changed", "--", "python3", "app.py"],
      cwd,
      1,
      "E_LOCK_DRIFT",
    );
    expect(drift.error.details).toEqual({
      added: [],
      removed: [],
      changed: [{ id: "nltk", fields: ["digest", "bytes"] }],
    });
    expect((await expectError(["bundle", "--bogus"], cwd, 2, "E_USAGE")).error.message).toContain("--bogus");
    // push before bundle: no layout yet; whatever the error, it is a JSON error document.
    const early = await runCli(["--json", "push", "--registry", "127.0.0.1:1"], { cwd });
    expect(early.code).not.toBe(0);
    errorDocument.parse(jsonDoc(early.stdout));
    expect((await runCli(["bundle"], { cwd })).code).toBe(0);
    await expectError(["push", "--registry", "127.0.0.1:1", "--repository", "x/y"], cwd, 5, /^E_REGISTRY/);

    const empty = await useTempProject({ "mlpack.json": '{"bundle":{"colour":1}}' });
    const config = await expectError(["bundle"], empty.dir, 2, "E_CONFIG");
    expect(config.error.message).toContain('"bundle.colour"');
    const noLock = await useTempProject();
    await expectError(["bundle"], noLock.dir, 2, "E_NO_LOCK");
    // Two docker discovers and two bundles: on a loaded 2-core machine that outlasts the default 120 s.
  }, 300_000);
});
