import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BuildImageOptions, buildImage } from "../../src/image/build-image.js";
import { openLayout } from "../../src/image/layout-reader.js";
import { isCi } from "../support/env.js";
import { pseudoRandom, tempDir, treeRecords, singleAssetOptions } from "./helpers.js";

const tmp = tempDir("mlpack-layout-safety-");
afterAll(() => tmp.cleanup());

function options(dir: string, layoutDir: string, extra: Partial<BuildImageOptions> = {}): BuildImageOptions {
  return singleAssetOptions(dir, layoutDir, { tag: "assets", ...extra });
}

function stage(dir: string, seed: number, extraBytes = 0): string {
  mkdirSync(join(dir, "sub"), { recursive: true });
  writeFileSync(join(dir, "sub", "a.txt"), `asset ${seed}\n`.repeat(100));
  writeFileSync(join(dir, "w.bin"), pseudoRandom(64 * 1024 + extraBytes, seed));
  return dir;
}

const blobs = (layout: string) => readdirSync(join(layout, "blobs", "sha256")).sort();
const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: "utf8", stdio: "pipe" });
const inspectDigest = (ref: string) => (JSON.parse(run("skopeo", ["inspect", ref])) as { Digest: string }).Digest;

/** A foreign image made by umoci (no engine needed), copied into `layout` by skopeo as `oci:layout:busybox`. */
function foreignImage(layout: string): void {
  const src = join(tmp.dir, `foreign-src-${Math.random().toString(16).slice(2)}`);
  run("umoci", ["init", "--layout", src]);
  run("umoci", ["new", "--image", `${src}:foo`]);
  const bundle = join(tmp.dir, `foreign-bundle-${Math.random().toString(16).slice(2)}`);
  run("umoci", ["unpack", "--rootless", "--image", `${src}:foo`, bundle]);
  writeFileSync(join(bundle, "rootfs", "hello.txt"), "from another tool\n");
  run("umoci", ["repack", "--image", `${src}:foo`, bundle]);
  run("skopeo", ["copy", `oci:${src}:foo`, `oci:${layout}:busybox`]);
}

describe("a layout shared with another image", () => {
  const layout = join(tmp.dir, "shared");
  let foreignBlobs: string[];
  let foreignDigest: string;

  beforeAll(() => {
    foreignImage(layout);
    foreignBlobs = blobs(layout);
    foreignDigest = inspectDigest(`oci:${layout}:busybox`);
  });

  it("keeps the other image's index entry and blobs; both images stay readable by skopeo and umoci", async () => {
    const first = await buildImage(options(stage(join(tmp.dir, "v1"), 1), layout));
    const second = await buildImage(options(stage(join(tmp.dir, "v2"), 2, 7), layout));
    expect(second.manifestDigest).not.toBe(first.manifestDigest);
    const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8"));
    expect(index.manifests.map((m: { annotations: Record<string, string> }) => m.annotations["org.opencontainers.image.ref.name"])).toEqual([
      "busybox",
      "assets",
    ]);
    expect(inspectDigest(`oci:${layout}:busybox`)).toBe(foreignDigest);
    expect(inspectDigest(`oci:${layout}:assets`)).toBe(second.manifestDigest);
    const now = blobs(layout);
    for (const blob of foreignBlobs) expect(now).toContain(blob);
    // mlpack's first image is gone (its blobs were mlpack's and nothing references them), the foreign one is not.
    for (const layer of first.layers) expect(now).not.toContain(layer.digest.slice(7));
    expect(now).not.toContain(first.manifestDigest.slice(7));
    const fb = join(tmp.dir, "unpacked-foreign");
    run("umoci", ["unpack", "--rootless", "--image", `${layout}:busybox`, fb]);
    expect(readFileSync(join(fb, "rootfs", "hello.txt"), "utf8")).toBe("from another tool\n");
    const ours = join(tmp.dir, "unpacked-ours");
    run("umoci", ["unpack", "--rootless", "--image", `${layout}:assets`, ours]);
    expect(treeRecords(join(ours, "rootfs", "cache", "x"), false)).toEqual(treeRecords(join(tmp.dir, "v2")));
    // push/load open mlpack's entry, not the first one listed.
    expect((await openLayout(layout)).manifestDigest).toBe(second.manifestDigest);
  });

  it("refuses a tag another image already has (E_LAYOUT_TAG_TAKEN) and changes nothing", async () => {
    const before = readFileSync(join(layout, "index.json"));
    const blobsBefore = blobs(layout);
    await expect(buildImage(options(stage(join(tmp.dir, "v3"), 3), layout, { tag: "busybox" }))).rejects.toMatchObject({
      code: "E_LAYOUT_TAG_TAKEN",
    });
    expect(readFileSync(join(layout, "index.json")).equals(before)).toBe(true);
    expect(blobs(layout)).toEqual(blobsBefore);
  });
});

describe("mlpack's own work layout (.mlpack/oci)", () => {
  it("holds one mlpack image whatever the tag, and adopts an older mlpack's unmarked entry", async () => {
    const layout = join(tmp.dir, "own");
    const first = await buildImage(options(stage(join(tmp.dir, "o1"), 41), layout, { ownLayout: true, tag: "a" }));
    // What an older mlpack left: one entry without annotations, and no list of the blobs it wrote.
    const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8"));
    delete index.manifests[0].annotations;
    writeFileSync(join(layout, "index.json"), JSON.stringify(index));
    rmSync(join(layout, ".mlpack", "blobs.json"));
    const second = await buildImage(options(stage(join(tmp.dir, "o2"), 42, 5), layout, { ownLayout: true, tag: "b" }));
    const after = JSON.parse(readFileSync(join(layout, "index.json"), "utf8"));
    expect(after.manifests.map((m: { digest: string }) => m.digest)).toEqual([second.manifestDigest]);
    for (const layer of first.layers) expect(blobs(layout)).not.toContain(layer.digest.slice(7));
    const third = await buildImage(options(stage(join(tmp.dir, "o3"), 43, 9), layout, { ownLayout: true, tag: "c" }));
    expect(JSON.parse(readFileSync(join(layout, "index.json"), "utf8")).manifests).toHaveLength(1);
    expect((await openLayout(layout)).manifestDigest).toBe(third.manifestDigest);
  });
});

describe("concurrent runs on one layout", () => {
  it("a second build at the same time fails with E_BUSY; the layout that remains is valid", async () => {
    const layout = join(tmp.dir, "busy");
    const [a, b] = await Promise.allSettled([
      buildImage(options(stage(join(tmp.dir, "c1"), 11, 3 << 20), layout)),
      buildImage(options(stage(join(tmp.dir, "c2"), 12, 3 << 20), layout)),
    ]);
    const done = [a, b].filter((r) => r.status === "fulfilled");
    const failed = [a, b].filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(done).toHaveLength(1);
    expect(failed.map((r) => (r.reason as { code?: string }).code)).toEqual(["E_BUSY"]);
    const winner = (done[0] as PromiseFulfilledResult<{ manifestDigest: string }>).value;
    expect(inspectDigest(`oci:${layout}:assets`)).toBe(winner.manifestDigest);
    expect(blobs(layout).filter((n) => n.startsWith("."))).toEqual([]);
  });

  it("never deletes the temp blob of a process that is still running; a dead one's is cleared", async () => {
    const layout = join(tmp.dir, "temps");
    await buildImage(options(stage(join(tmp.dir, "t1"), 21), layout));
    const sleeper = spawn("sleep", ["30"], { stdio: "ignore" });
    try {
      const live = join(layout, "blobs", "sha256", `.mlpack-tmp-${sleeper.pid}-0123456789abcdef`);
      const dead = join(layout, "blobs", "sha256", ".mlpack-tmp-999999999-0123456789abcdef");
      writeFileSync(live, "another run is writing this");
      writeFileSync(dead, "left by a run that died");
      await buildImage(options(stage(join(tmp.dir, "t2"), 22), layout));
      expect(existsSync(live)).toBe(true);
      expect(existsSync(dead)).toBe(false);
    } finally {
      sleeper.kill();
    }
  });
});

/** Root can mount a small tmpfs; elsewhere this is skipped locally and fails under CI=true. */
function canMount(): boolean {
  return process.getuid?.() === 0;
}

describe("a full disk while writing the layout", () => {
  const mount = join(tmp.dir, "tmpfs");
  let mounted = false;
  beforeAll(() => {
    if (!canMount()) {
      if (isCi()) throw new Error("the full-disk test needs root to mount a tmpfs");
      return;
    }
    mkdirSync(mount, { recursive: true });
    run("mount", ["-t", "tmpfs", "-o", "size=6m", "tmpfs", mount]);
    mounted = true;
  });
  afterAll(() => {
    if (mounted) run("umount", [mount]);
  });

  it("E_NO_SPACE names the folder; no partial blob, the previous image (index.json and blobs) intact", async (ctx) => {
    if (!mounted) return ctx.skip();
    const layout = join(mount, "oci");
    const first = await buildImage(options(stage(join(tmp.dir, "d1"), 31), layout));
    const index = readFileSync(join(layout, "index.json"));
    const blobsBefore = blobs(layout);
    const big = stage(join(tmp.dir, "d2"), 32);
    writeFileSync(join(big, "huge.bin"), pseudoRandom(12 << 20, 33)); // incompressible: stored, 12 MiB > 6 MiB
    const error = await buildImage(options(big, layout)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "E_NO_SPACE", exitCode: 1 });
    expect((error as Error).message).toContain(layout);
    expect(readFileSync(join(layout, "index.json")).equals(index)).toBe(true);
    expect(blobs(layout)).toEqual(blobsBefore);
    expect(inspectDigest(`oci:${layout}:assets`)).toBe(first.manifestDigest);
    expect((await openLayout(layout)).manifestDigest).toBe(first.manifestDigest);
  });
});
