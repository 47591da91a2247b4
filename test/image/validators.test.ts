import { execFileSync } from "node:child_process";
import { linkSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BuildResult, buildImage } from "../../src/image/build-image.js";
import { openLayout } from "../../src/image/layout-reader.js";
import { expectedRootfs, stageFixture, tempDir, treeRecords } from "./helpers.js";

const tmp = tempDir("mlpack-validate-");
afterAll(() => tmp.cleanup());

let assets: ReturnType<typeof stageFixture>;
let result: BuildResult;
const layout = join(tmp.dir, "oci");

beforeAll(async () => {
  assets = stageFixture(join(tmp.dir, "staged"));
  linkSync(join(assets[1]!.dir, "corpora", "words.txt"), join(assets[1]!.dir, "corpora", "words-hard.txt"));
  result = await buildImage({
    assets,
    assetRoot: "/cache",
    compression: "auto",
    platform: "linux/amd64",
    sourceDateEpoch: 0,
    labels: {},
    layoutDir: layout,
    tag: "v1",
  });
});

describe("independent validators accept the layout", () => {
  it("skopeo inspect reports our digest and layers", () => {
    const out = JSON.parse(execFileSync("skopeo", ["inspect", `oci:${layout}:v1`]).toString()) as {
      Digest: string;
      Layers: string[];
      Architecture: string;
      Os: string;
    };
    expect(out.Digest).toBe(result.manifestDigest);
    expect(out.Layers).toEqual(result.layers.map((l) => l.digest));
    expect([out.Os, out.Architecture]).toEqual(["linux", "amd64"]);
    const config = JSON.parse(
      execFileSync("skopeo", ["inspect", "--config", `oci:${layout}:v1`]).toString(),
    ) as {
      rootfs: { diff_ids: string[] };
    };
    expect(config.rootfs.diff_ids).toEqual(result.layers.map((l) => l.diffId));
  });

  it("umoci unpack yields exactly the staged tree, with modes normalised and hard links kept", () => {
    const bundle = join(tmp.dir, "bundle");
    execFileSync("umoci", ["unpack", "--image", `${layout}:v1`, bundle], { stdio: "pipe" });
    const rootfs = join(bundle, "rootfs");
    expect(treeRecords(rootfs, false)).toEqual(expectedRootfs(assets));
    const corpora = join(rootfs, "cache", "nltk_data", "corpora");
    expect(statSync(join(corpora, "words.txt")).ino).toBe(statSync(join(corpora, "words-hard.txt")).ino);
  });

  it("openLayout returns the same image", async () => {
    const source = await openLayout(layout);
    expect(source.manifestDigest).toBe(result.manifestDigest);
    expect(source.config.digest).toBe(result.configDigest);
    expect(source.layers.map((l) => [l.digest, l.size, l.mediaType])).toEqual(
      result.layers.map((l) => [l.digest, l.size, l.mediaType]),
    );
  });
});
