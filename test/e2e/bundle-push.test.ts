import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { cp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { expect, it, onTestFinished } from "vitest";
import { runCli } from "../support/cli.js";
import { dockerClient } from "../support/docker.js";
import { testEnv } from "../support/env.js";
import { useTempProject } from "../support/project.js";
import { describeReal } from "../support/real.js";
import { uniqueRepo } from "../support/registry.js";

const FIXTURE = new URL("../../fixtures/demo-model/", import.meta.url).pathname;

/** A project with the fixture model discovered by the local runner (fast, no engine). */
async function discovered(variant?: string) {
  const project = await useTempProject();
  await cp(FIXTURE, project.dir, { recursive: true });
  const env = variant ? ["--env", `MLPACK_FIXTURE_VARIANT=${variant}`] : [];
  const r = await runCli(["discover", "--runner", "local", ...env, "--", "python3", "app.py"], {
    cwd: project.dir,
  });
  expect(r.code, r.stderr).toBe(0);
  return project;
}

async function bundleJson(dir: string, ...args: string[]) {
  const r = await runCli(["bundle", "--json", ...args], { cwd: dir });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

it("bundle is reproducible across projects and mtimes; SOURCE_DATE_EPOCH is the one timestamp", async () => {
  const a = await discovered();
  const b = await discovered();
  // Touch the second project's staged files: mtimes must not matter.
  await utimes(
    b.path(".mlpack", "assets", "torch", "hub", "checkpoints", "resnet-tiny-5c9a1f2e.pth"),
    12345,
    12345,
  );
  const docA = await bundleJson(a.dir);
  const docB = await bundleJson(b.dir);
  expect(docA.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(docB.digest).toBe(docA.digest);
  expect(docB.layers).toEqual(docA.layers);
  expect(docA.layers.map((l: { title: string }) => l.title)).toEqual([
    "gensim-data",
    "huggingface/hub/datasets--mlpack--tiny-squad",
    "huggingface/hub/models--mlpack--tiny-bert",
    "nltk_data",
    "torch",
  ]);
  const state = JSON.parse(await readFile(a.path(".mlpack", "state.json"), "utf8"));
  expect(state.bundle.manifestDigest).toBe(docA.digest);
  const plain = await bundleJson(a.dir, "--compression", "none");
  expect(plain.layers.every((l: { mediaType: string }) => l.mediaType.endsWith(".tar"))).toBe(true);
  const dated = async (dir: string) => {
    const r = await runCli(["bundle", "--json"], { cwd: dir, env: { SOURCE_DATE_EPOCH: "1700000000" } });
    return JSON.parse(r.stdout).digest as string;
  };
  const datedA = await dated(a.dir);
  expect(datedA).not.toBe(docA.digest);
  expect(await dated(b.dir)).toBe(datedA);
  const bad = await runCli(["bundle"], { cwd: a.dir, env: { SOURCE_DATE_EPOCH: "yesterday" } });
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain("SOURCE_DATE_EPOCH=yesterday is not a Unix timestamp");
});

it("bundle without a lock, or with a stale staging dir, is exit 2 with a hint", async () => {
  const empty = await useTempProject();
  const r = await runCli(["bundle"], { cwd: empty.dir });
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/no mlpack\.lock\.json in .*\nhint: Run `mlpack discover/);
  const project = await discovered();
  await writeFile(
    project.path(".mlpack", "assets", "nltk", "corpora", "stopwords", "english"),
    "tampered with\n",
  );
  const stale = await runCli(["bundle", "--json"], { cwd: project.dir });
  expect(stale.code).toBe(2);
  expect(JSON.parse(stale.stdout).error).toMatchObject({
    code: "E_ASSET_STALE",
    message: expect.stringMatching(/^staged asset nltk does not match mlpack\.lock\.json \(\d+ files\/\d+ bytes staged/),
  });
  // Checked in the same pass as the layers, and refused before index.json: nothing committed, no blob kept.
  expect(existsSync(project.path(".mlpack", "oci", "index.json"))).toBe(false);
  expect(readdirSync(project.path(".mlpack", "oci", "blobs", "sha256"))).toEqual([]);
  await rm(project.path(".mlpack", "assets", "nltk"), { recursive: true });
  const missing = await runCli(["bundle"], { cwd: project.dir });
  expect(missing.code).toBe(2);
  expect(missing.stderr).toMatch(/staged asset nltk is missing \(.*\)\nhint: Run `mlpack discover`/);
  expect(existsSync(project.path(".mlpack", "oci", "index.json"))).toBe(false);
});

it("two bundles at once: one E_BUSY, the other's layout valid; umoci finds the image by its tag", async () => {
  const project = await discovered();
  const [a, b] = await Promise.all([
    runCli(["bundle", "--json"], { cwd: project.dir }),
    runCli(["bundle", "--json"], { cwd: project.dir }),
  ]);
  expect([a.code, b.code].sort()).toEqual([0, 1]);
  const failed = JSON.parse((a.code === 1 ? a : b).stdout);
  expect(failed.error.code).toBe("E_BUSY");
  const ok = JSON.parse((a.code === 0 ? a : b).stdout);
  const layout = project.path(".mlpack", "oci");
  const inspected = JSON.parse(execFileSync("skopeo", ["inspect", `oci:${layout}:latest`], { encoding: "utf8" }));
  expect(inspected.Digest).toBe(ok.digest);
  const unpacked = project.path("unpacked");
  execFileSync("umoci", ["unpack", "--rootless", "--image", `${layout}:latest`, unpacked], { stdio: "pipe" });
  expect(existsSync(join(unpacked, "rootfs", "cache", "nltk_data"))).toBe(true);
});

it("two projects bundling into one shared --layout: serialised by the layout's lock, both images kept", async () => {
  const a = await discovered();
  const b = await discovered("two");
  const shared = join(a.dir, "..", `${basename(a.dir)}-shared-layout`);
  onTestFinished(() => rm(shared, { recursive: true, force: true }));
  const bundleInto = (dir: string, tag: string) => runCli(["bundle", "--json", "--layout", shared, "--tag", tag], { cwd: dir });
  const [ra, rb] = await Promise.all([bundleInto(a.dir, "a:v1"), bundleInto(b.dir, "b:v2")]);
  // One may lose the race for the layout lock (E_BUSY); whoever ran left a valid layout.
  for (const r of [ra, rb]) {
    if (r.code !== 0) expect(JSON.parse(r.stdout).error.code).toBe("E_BUSY");
  }
  if (ra.code !== 0) expect((await bundleInto(a.dir, "a:v1")).code).toBe(0);
  if (rb.code !== 0) expect((await bundleInto(b.dir, "b:v2")).code).toBe(0);
  // A second mlpack project's image is "another image" to the first: both entries stay, each readable.
  const index = JSON.parse(await readFile(join(shared, "index.json"), "utf8"));
  expect(index.manifests).toHaveLength(2);
  for (const tag of ["v1", "v2"]) execFileSync("skopeo", ["inspect", `oci:${shared}:${tag}`], { stdio: "pipe" });
});

await describeReal(["registry"], "push to a real registry (CLI)", () => {
  it("prints one reference, re-pushes nothing, and a one-asset change uploads only that layer", async () => {
    const project = await discovered();
    const bundled = await bundleJson(project.dir);
    const repo = uniqueRepo("e2e-push");
    const args = ["push", "--registry", testEnv().registry, "--repository", repo];
    const first = await runCli(args, { cwd: project.dir });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe(`${testEnv().registry}/${repo}@${bundled.digest}\n`);
    expect(first.stderr).toMatch(/uploaded .* in 6 blobs/);
    const state = JSON.parse(await readFile(project.path(".mlpack", "state.json"), "utf8"));
    expect(state.push).toMatchObject({
      reference: first.stdout.trim(),
      tag: `sha-${bundled.digest.slice(7, 19)}`,
    });

    const again = JSON.parse((await runCli([...args, "--json"], { cwd: project.dir })).stdout);
    expect(again).toMatchObject({ ok: true, uploadedBytes: 0, manifestAction: "skipped" });

    // Change one small nltk file: only the nltk layer and the config are new.
    const changed = await discovered("changed");
    const rebundled = await bundleJson(changed.dir);
    const pushed = JSON.parse((await runCli([...args, "--json"], { cwd: changed.dir })).stdout);
    const uploaded = pushed.blobs
      .filter((b: { action: string }) => b.action === "uploaded")
      .map((b: { digest: string }) => b.digest);
    const nltkLayer = rebundled.layers.find((l: { title: string }) => l.title === "nltk_data").digest;
    expect(uploaded.sort()).toEqual([nltkLayer, rebundled.configDigest].sort());
  });

  it("a registry that is down is exit 5 and nothing is recorded as pushed", async () => {
    const project = await discovered();
    await bundleJson(project.dir);
    const r = await runCli(["push", "--registry", "127.0.0.1:9", "--repository", "x/y"], {
      cwd: project.dir,
      timeoutMs: 120_000,
    });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("hint:");
    const state = JSON.parse(await readFile(project.path(".mlpack", "state.json"), "utf8"));
    expect(state.push).toBeUndefined();
  });
});

await describeReal(["docker"], "bundle --load (CLI)", () => {
  it("loads the image under the default content tag; the files are there", async () => {
    const project = await discovered();
    const doc = await bundleJson(project.dir, "--load");
    const tag = `mlpack-assets:${doc.digest.slice(7, 19)}`;
    expect(doc.loaded.tag).toBe(tag);
    const docker = dockerClient();
    const info = await docker.getImage(tag).inspect();
    expect(info.Id).toBe(doc.loaded.imageId);
    expect(info.Config?.Labels?.["dev.mlpack.lock-digest"]).toMatch(/^sha256:/);
    expect(info.RootFS?.Layers).toHaveLength(5);
    await docker
      .getImage(tag)
      .remove({ force: true })
      .catch(() => undefined);
  });
});
