import { cp, readFile, writeFile } from "node:fs/promises";
import { execa } from "execa";
import { afterAll, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { testEnv } from "../support/env.js";
import { type TempProject, useTempProject } from "../support/project.js";
import { describeReal } from "../support/real.js";
import { fetchRegistry, uniqueRepo } from "../support/registry.js";

const FIXTURE = new URL("../../fixtures/demo-model/", import.meta.url).pathname;
const { registry, busyboxImage } = testEnv();

interface ErrorDoc {
  error: { code: string; message: string; hint: string };
}

/** Removes what the test pushed (the plain registry allows DELETE). */
async function deleteManifest(repo: string, digest: string): Promise<void> {
  await fetchRegistry(`/v2/${repo}/manifests/${digest}`, { method: "DELETE" }).catch(() => undefined);
}

await describeReal("registry", "the Dockerfile route refuses a stale or unresolvable pin", () => {
  const pushed: { repo: string; digest: string }[] = [];
  afterAll(async () => {
    for (const p of pushed) await deleteManifest(p.repo, p.digest);
  });

  it("discover → bundle → push → change → discover → bundle → dockerfile is refused, naming `mlpack push`", async () => {
    const project = await useTempProject();
    await cp(FIXTURE, project.dir, { recursive: true });
    const repo = uniqueRepo("dockerfile-stale");
    const mlpack = (...args: string[]) => runCli(args, { cwd: project.dir, timeoutMs: 120_000 });
    const discover = (variant?: string) =>
      mlpack("discover", "--runner", "local", ...(variant ? ["--env", `MLPACK_FIXTURE_VARIANT=${variant}`] : []), "--", "python3", "app.py");
    const push = async () => {
      const r = await mlpack("push", "--registry", registry, "--repository", repo);
      expect(r.code, r.stderr).toBe(0);
      const ref = r.stdout.trim();
      pushed.push({ repo, digest: ref.slice(ref.indexOf("@") + 1) });
      return ref;
    };

    expect((await discover()).code).toBe(0);
    expect((await mlpack("bundle")).code).toBe(0);
    // A bundle that was neither loaded nor pushed cannot resolve in FROM: refused, not rendered with exit 0.
    const unpinned = await mlpack("--json", "dockerfile");
    expect(unpinned.code).toBe(2);
    expect((JSON.parse(unpinned.stdout) as ErrorDoc).error).toMatchObject({
      code: "E_NO_ASSET_IMAGE",
      hint: expect.stringContaining("mlpack push"),
    });

    const first = await push();
    const ok = await mlpack("--json", "dockerfile");
    expect(ok.code, ok.stderr).toBe(0);
    expect((JSON.parse(ok.stdout) as { dockerfile: string }).dockerfile).toContain(`FROM ${first} AS mlpack-assets`);

    // The model changes: discover and bundle again, but no push.
    expect((await discover("changed")).code).toBe(0);
    const rebundled = await mlpack("--json", "bundle");
    expect(rebundled.code).toBe(0);
    const newDigest = (JSON.parse(rebundled.stdout) as { digest: string }).digest;
    expect(first).not.toContain(newDigest);
    const stale = await mlpack("--json", "dockerfile");
    expect(stale.code).toBe(2);
    const err = (JSON.parse(stale.stdout) as ErrorDoc).error;
    expect(err.code).toBe("E_STALE_ASSET_IMAGE");
    expect(err.message).toContain(first);
    expect(err.message).toContain(newDigest.slice(0, 19));
    expect(err.hint).toMatch(/^Run `mlpack push`/);
    const human = await mlpack("dockerfile");
    expect(human.stderr).toContain("is not the current bundle");

    // The user's own pinned reference stays allowed (here: the old one, on purpose).
    const flagged = await mlpack("--json", "dockerfile", "--asset-image", first);
    expect(flagged.code, flagged.stderr).toBe(0);

    // The fix the hint names works: push the current bundle, and the FROM pins it.
    const second = await push();
    expect(second).toContain(newDigest);
    const fixed = await mlpack("--json", "dockerfile");
    expect(fixed.code, fixed.stderr).toBe(0);
    expect((JSON.parse(fixed.stdout) as { dockerfile: string }).dockerfile).toContain(`FROM ${second} AS mlpack-assets`);
  });
});

await describeReal("docker", "dockerfile -o keeps .mlpack/ out of the build context", () => {
  let project: TempProject;
  it("the legacy builder's context shrinks to the project without .mlpack/", async () => {
    project = await useTempProject();
    await cp(FIXTURE, project.dir, { recursive: true });
    const mlpack = (...args: string[]) => runCli(args, { cwd: project.dir, timeoutMs: 120_000 });
    expect((await mlpack("discover", "--runner", "local", "--", "python3", "app.py")).code).toBe(0);
    expect((await mlpack("bundle")).code).toBe(0);
    // A probe Dockerfile that needs only the project's own file: what the builder is sent is what counts.
    await writeFile(project.path("Dockerfile.probe"), `FROM ${busyboxImage}\nCOPY app.py /app.py\n`);
    const context = async () => {
      const loud = await execa("docker", ["build", "--network", "none", "-f", "Dockerfile.probe", "."], {
        cwd: project.dir,
        env: { DOCKER_BUILDKIT: "0" },
        reject: false,
      });
      expect(loud.exitCode, loud.stderr).toBe(0);
      const id = /Successfully built ([0-9a-f]+)/.exec(loud.stdout)?.[1];
      if (id) await execa("docker", ["rmi", id], { reject: false });
      // The legacy builder says how much it was sent: "Sending build context to Docker daemon  1.23MB".
      const m = /Sending build context to Docker daemon\s+([\d.]+)([kMG]?B)/.exec(loud.stdout);
      expect(m, loud.stdout).not.toBeNull();
      const unit = { B: 1, kB: 1e3, MB: 1e6, GB: 1e9 }[m![2] as "B" | "kB" | "MB" | "GB"];
      return Number(m![1]) * unit;
    };
    const before = await context();
    const r = await mlpack("dockerfile", "--asset-image", `${registry}/x@sha256:${"1".repeat(64)}`, "-o", "Dockerfile");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`wrote ${project.path(".dockerignore")}`);
    expect(await readFile(project.path(".dockerignore"), "utf8")).toMatch(/^\.mlpack\/$/m);
    const after = await context();
    // .mlpack holds the staged caches and the OCI layout: twice the assets. Without it, only the project.
    expect(before).toBeGreaterThan(200_000);
    expect(after).toBeLessThan(before / 10);
  });
});
