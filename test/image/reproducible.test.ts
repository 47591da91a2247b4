import { chownSync, lchownSync, lutimesSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildImage } from "../../src/image/build-image.js";
import type { Compression } from "../../src/image/layer-writer.js";
import { blobHashes, stageFixture, tempDir, treeRecords } from "./helpers.js";

const tmp = tempDir("mlpack-repro-");
afterAll(() => tmp.cleanup());

let original: ReturnType<typeof stageFixture>;
let copy: ReturnType<typeof stageFixture>;

beforeAll(() => {
  original = stageFixture(join(tmp.dir, "a"));
  copy = stageFixture(join(tmp.dir, "b"), { reverse: true });
  // Same bytes, different metadata: mtimes (and owners, when we may) must not reach the image.
  for (const [i, asset] of copy.entries()) {
    for (const rel of treeRecords(asset.dir).keys()) {
      const path = join(asset.dir, rel);
      lutimesSync(path, 1_000_000 + i, 2_000_000 + rel.length);
      if (process.getuid?.() === 0) (rel.endsWith("config.json") ? lchownSync : chownSync)(path, 1234, 5678);
    }
  }
});

function build(assets: typeof original, compression: Compression, layoutDir: string, workers?: number) {
  return buildImage({
    assets,
    assetRoot: "/cache",
    compression,
    platform: "linux/arm64",
    sourceDateEpoch: 1_700_000_000,
    labels: { "org.opencontainers.image.source": "https://example.invalid/repo" },
    layoutDir,
    tag: "v1",
    workers,
  });
}

describe("reproducible builds", () => {
  it.each<Compression>(["auto", "gzip", "stored", "none"])(
    "%s: same trees, copies with other mtimes/owners/creation order, any worker count → same bytes",
    async (compression) => {
      const first = await build(original, compression, join(tmp.dir, `${compression}-1`));
      const second = await build(original, compression, join(tmp.dir, `${compression}-2`), 0);
      const fromCopy = await build(copy, compression, join(tmp.dir, `${compression}-3`), 2);
      expect(second.manifestDigest).toBe(first.manifestDigest);
      expect(fromCopy.manifestDigest).toBe(first.manifestDigest);
      expect(fromCopy.layers).toEqual(first.layers);
      const blobs = blobHashes(join(tmp.dir, `${compression}-1`));
      expect(blobHashes(join(tmp.dir, `${compression}-2`))).toEqual(blobs);
      expect(blobHashes(join(tmp.dir, `${compression}-3`))).toEqual(blobs);
      // Every blob is named by its own content.
      for (const [name, hash] of Object.entries(blobs)) expect(hash).toBe(name);
      expect(first.layers.map((l) => l.title)).toEqual([
        "huggingface",
        "huggingface/hub/datasets--org--gamma",
        "huggingface/hub/models--org--alpha",
        "huggingface/hub/models--org--beta",
        "nltk_data",
      ]);
      const sameDiffIds = first.layers.every((l) =>
        compression === "none" ? l.digest === l.diffId : l.digest !== l.diffId,
      );
      expect(sameDiffIds).toBe(true);
    },
  );

  it("diff_ids do not depend on the compression mode; config records platform, epoch, history", async () => {
    const gz = await build(original, "gzip", join(tmp.dir, "cfg-gzip"));
    const none = await build(original, "none", join(tmp.dir, "cfg-none"));
    expect(gz.layers.map((l) => l.diffId)).toEqual(none.layers.map((l) => l.diffId));
    const config = JSON.parse(
      readFileSync(join(tmp.dir, "cfg-gzip", "blobs", "sha256", gz.configDigest.slice(7)), "utf8"),
    ) as Record<string, unknown>;
    expect(config).toMatchObject({
      architecture: "arm64",
      os: "linux",
      created: "2023-11-14T22:13:20Z",
      config: { Labels: { "org.opencontainers.image.source": "https://example.invalid/repo" } },
      rootfs: { type: "layers", diff_ids: gz.layers.map((l) => l.diffId) },
    });
    expect((config.history as { created_by: string }[]).map((h) => h.created_by)).toEqual(
      gz.layers.map((l) => `mlpack: ${l.title}`),
    );
    const manifest = readFileSync(
      join(tmp.dir, "cfg-gzip", "blobs", "sha256", gz.manifestDigest.slice(7)),
      "utf8",
    );
    expect(manifest).not.toContain("artifactType");
    expect(manifest).not.toContain("subject");
    expect(JSON.parse(manifest)).toMatchObject({ mediaType: "application/vnd.oci.image.manifest.v1+json" });
    expect(Buffer.byteLength(manifest)).toBeLessThan(25_400);
  });
});
