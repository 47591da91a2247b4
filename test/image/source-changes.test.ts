import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bundle } from "../../src/bundle/bundle.js";
import type { MlpackEvent } from "../../src/events.js";
import { type BuildImageOptions, buildImage } from "../../src/image/build-image.js";
import type { Lock } from "../../src/lock/lock.js";
import { readStageStamp, writeStageStamp } from "../../src/lock/stage-stamp.js";
import { digestTree } from "../../src/lock/tree-digest.js";
import { pseudoRandom, tempDir, singleAssetOptions } from "./helpers.js";

const tmp = tempDir("mlpack-source-changes-");
afterAll(() => tmp.cleanup());
const blobs = (layout: string) => readdirSync(join(layout, "blobs", "sha256")).sort();

function options(dir: string, layoutDir: string, emit?: (e: MlpackEvent) => void): BuildImageOptions {
  return singleAssetOptions(dir, layoutDir, { compression: "stored", ...(emit ? { emit } : {}) });
}

/** A tree whose 24 MiB file is read while the test changes something that sorts after it. */
function stageTree(name: string): string {
  const dir = join(tmp.dir, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "a-big.bin"), pseudoRandom(24 << 20, 5));
  writeFileSync(join(dir, "z.txt"), "the real content\n");
  return dir;
}

/** Builds once (the previous image), then again with `change` applied at the first progress event. */
async function changeMidBuild(name: string, change: (dir: string) => void) {
  const dir = stageTree(name);
  const layout = join(tmp.dir, `${name}-oci`);
  await buildImage(options(dir, layout));
  const index = readFileSync(join(layout, "index.json"));
  const before = blobs(layout);
  writeFileSync(join(dir, "a-big.bin"), pseudoRandom(24 << 20, 6)); // a new image would have new blobs
  let changed = false;
  const error = await buildImage(
    options(dir, layout, (e) => {
      if (!changed && e.type === "progress" && e.done > 0) {
        changed = true;
        change(dir);
      }
    }),
  ).catch((e: unknown) => e);
  expect(changed).toBe(true);
  // Nothing committed: index.json byte for byte, no new blob, no temp file.
  expect(readFileSync(join(layout, "index.json")).equals(index)).toBe(true);
  expect(blobs(layout)).toEqual(before);
  return error;
}

describe("reads that cannot be fooled", () => {
  it("a file swapped for a symlink mid-bundle is E_SOURCE_CHANGED; the link is never read", async () => {
    writeFileSync(join(tmp.dir, "outside.txt"), "OUTSIDE SECRET\n");
    const error = await changeMidBuild("swap", (dir) => {
      rmSync(join(dir, "z.txt"));
      symlinkSync(join(tmp.dir, "outside.txt"), join(dir, "z.txt"));
    });
    expect(error).toMatchObject({ code: "E_SOURCE_CHANGED", exitCode: 1 });
    expect((error as Error).message).toContain("cache/x/z.txt was replaced by a symlink");
  });

  it("a file that shrinks or grows while it is read is E_SOURCE_CHANGED", async () => {
    for (const [name, size] of [["shrink", 1 << 20], ["grow", 30 << 20]] as const) {
      const error = await changeMidBuild(name, (dir) => truncateSync(join(dir, "a-big.bin"), size));
      expect(error).toMatchObject({ code: "E_SOURCE_CHANGED" });
    }
  });

  it("a same-size rewrite of the file being read is E_SOURCE_CHANGED (its ctime moved)", async () => {
    const error = await changeMidBuild("rewrite", (dir) => {
      const path = join(dir, "a-big.bin");
      const fd = execFileSync("sh", ["-c", `printf X | dd of='${path}' bs=1 seek=100 conv=notrunc 2>/dev/null; echo ok`]);
      expect(fd.toString()).toContain("ok");
    });
    expect(error).toMatchObject({ code: "E_SOURCE_CHANGED" });
  });
});

/** A project whose one asset is staged and stamped the way discover leaves it. */
async function stagedProject(name: string) {
  const project = join(tmp.dir, name);
  const stageDir = join(project, ".mlpack", "assets");
  const dir = join(stageDir, "nltk");
  mkdirSync(join(dir, "corpora"), { recursive: true });
  for (let i = 0; i < 50; i++) writeFileSync(join(dir, "corpora", `w${i}.txt`), `word ${i}\n`.repeat(20));
  symlinkSync("corpora/w1.txt", join(dir, "first"));
  const summary = await digestTree(dir);
  const asset = {
    id: "nltk",
    library: "nltk",
    source: "~/nltk_data",
    target: "nltk_data",
    env: { NLTK_DATA: "/cache/nltk_data" },
    ...summary,
  };
  const lock: Lock = {
    schemaVersion: 1,
    runner: "local",
    image: null,
    command: ["true"],
    assetRoot: "/cache",
    assets: [asset],
    skipped: [],
  };
  await writeStageStamp(stageDir, asset);
  const run = () =>
    bundle(
      {
        lock,
        projectDir: project,
        layoutDir: join(project, ".mlpack", "oci"),
        assetRoot: "/cache",
        compression: "auto",
        platform: "linux/amd64",
        sourceDateEpoch: 0,
        version: "test",
      },
      { emit: () => {} },
    );
  return { project, stageDir, dir, asset, run, index: () => readFileSync(join(project, ".mlpack", "oci", "index.json")) };
}

describe("staged trees checked against the lock", () => {
  it("a same-size edit after staging is refused before index.json (E_ASSET_STALE); the fixed tree builds again", async () => {
    const p = await stagedProject("same-size");
    const good = await p.run();
    const index = p.index();
    const path = join(p.dir, "corpora", "w7.txt");
    const original = readFileSync(path);
    writeFileSync(path, Buffer.from(original.toString().replace("word 7", "WORD 7")));
    await expect(p.run()).rejects.toMatchObject({ code: "E_ASSET_STALE", exitCode: 2 });
    expect(p.index().equals(index)).toBe(true);
    writeFileSync(path, original); // back to what the lock says (with a new ctime): re-digested, accepted, re-stamped
    expect((await p.run()).manifestDigest).toBe(good.manifestDigest);
    expect(await readStageStamp(p.stageDir, p.asset)).toBeGreaterThan(0);
  });

  it("a link swapped for another target (same count, same bytes) is caught by its folder's ctime", async () => {
    const p = await stagedProject("relink");
    await p.run();
    rmSync(join(p.dir, "first"));
    symlinkSync("corpora/w2.txt", join(p.dir, "first"));
    await expect(p.run()).rejects.toMatchObject({ code: "E_ASSET_STALE" });
  });

  it(".mlpack/assets restored from a cache (new inodes and ctimes) is re-digested and accepted; a changed one is not", async () => {
    const p = await stagedProject("restored");
    const first = await p.run();
    const copy = `${p.dir}.copy`;
    cpSync(p.dir, copy, { recursive: true, verbatimSymlinks: true });
    rmSync(p.dir, { recursive: true });
    renameSync(copy, p.dir);
    expect((await p.run()).manifestDigest).toBe(first.manifestDigest);
    // Without a stamp at all (e.g. an older mlpack staged it): the same re-digest decides.
    rmSync(join(p.stageDir, ".stamp-nltk.json"));
    writeFileSync(join(p.dir, "corpora", "w3.txt"), "word 3\n".repeat(20).replace("3", "8"));
    await expect(p.run()).rejects.toMatchObject({ code: "E_ASSET_STALE" });
  });
});
