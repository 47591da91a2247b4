import { mkdirSync, readFileSync, statSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlockPool } from "../../src/image/block-filler.js";
import { buildImage, type ImageAsset } from "../../src/image/build-image.js";
import { compareUtf8 } from "../../src/util/byte-order.js";
import type { Compression } from "../../src/image/layer-writer.js";
import { type TarEntry, tarStream } from "../../src/image/tar-entries.js";
import { blobHashes, pseudoRandom, tempDir, walkedLayer } from "./helpers.js";

const tmp = tempDir("mlpack-blocks-");
afterAll(() => tmp.cleanup());
const MiB = 1 << 20;

/** Many small files whose tar offsets land everywhere, plus files at and around the 1 MiB read limit. */
function stageSmallFileTree(root: string): ImageAsset {
  const dir = join(root, "hf");
  const repo = join(dir, "hub", "datasets--x--many");
  for (let i = 0; i < 1500; i++) {
    const sub = join(repo, "blobs", String(i % 37));
    mkdirSync(sub, { recursive: true });
    const size = (i * 7919) % 9000;
    const bytes = i % 3 === 0 ? pseudoRandom(size, i) : Buffer.from("token ".repeat(size).slice(0, size));
    writeFileSync(join(sub, `f${i}.txt`), bytes);
  }
  mkdirSync(join(repo, "snapshots", "c"), { recursive: true });
  symlinkSync("../../blobs/1/f1.txt", join(repo, "snapshots", "c", "one.txt"));
  const big = join(dir, "hub", "models--x--big", "blobs");
  mkdirSync(big, { recursive: true });
  for (const [name, size] of [
    ["exact", MiB],
    ["over", MiB + 1],
    ["three", 3 * MiB + 123],
  ] as const) {
    writeFileSync(join(big, name), pseudoRandom(size, size));
  }
  return { id: "hf", target: "huggingface", dir, layering: "hf-repos" };
}

let asset: ImageAsset;
beforeAll(() => {
  asset = stageSmallFileTree(tmp.dir);
});

describe("block pipeline", () => {
  it("sorts names in UTF-8 byte order without encoding them", () => {
    const names = ["a", "ab", "a/b", "a-b", "é", "\u{e000}", "\u{ffff}", "\u{10000}", "\u{1f600}", "z", ""];
    const expected = [...names].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect([...names].sort(compareUtf8)).toEqual(expected);
  });

  it.each<Compression>(["auto", "gzip", "stored", "none"])(
    "%s: a small-file-heavy tree gives identical blobs with 0, 1 and 2 workers",
    { timeout: 60_000 },
    async (compression) => {
      const digests: string[] = [];
      const blobs: Record<string, string>[] = [];
      for (const workers of [0, 1, 2]) {
        const layoutDir = join(tmp.dir, `oci-${compression}-${workers}`);
        const result = await buildImage({
          assets: [asset],
          assetRoot: "/cache",
          compression,
          platform: "linux/amd64",
          sourceDateEpoch: 0,
          labels: {},
          layoutDir,
          workers,
        });
        digests.push(result.manifestDigest);
        blobs.push(blobHashes(layoutDir));
      }
      expect(new Set(digests).size).toBe(1);
      expect(blobs[1]).toEqual(blobs[0]);
      expect(blobs[2]).toEqual(blobs[0]);
    },
  );

  it("gives the same tar bytes however the content arrives (disk reads vs odd-sized stream chunks)", async () => {
    const fromDisk = walkedLayer(asset.dir);
    const disk = await collect(fromDisk.entries, new BlockPool(64 * 1024));
    const streamed = fromDisk.entries.map((entry): TarEntry => {
      if (!entry.source) return entry;
      const bytes = disk.file(entry.name);
      return { ...entry, size: bytes.length, mode: 0o644, open: () => Readable.from(chunked(bytes, 4093)) };
    });
    const again = await collect(streamed, new BlockPool());
    expect(again.tar.equals(disk.tar)).toBe(true);
    // Every block but the last is exactly one block long: the encoder can use them in place.
    expect(disk.sizes.slice(0, -1).every((n) => n === 64 * 1024)).toBe(true);
  });

  it("fails when a file no longer has the size that was scanned", async () => {
    const dir = join(tmp.dir, "shrinks");
    mkdirSync(dir);
    writeFileSync(join(dir, "small"), "12345");
    writeFileSync(join(dir, "large"), pseudoRandom(2 * MiB, 3));
    for (const name of ["small", "large"]) {
      const { entries } = walkedLayer(dir, "s", "/c");
      const path = join(dir, name);
      const size = statSync(path).size;
      // The size a header was promised (as a lock or an earlier stat would say): the file no longer has it.
      const only = entries
        .filter((e) => e.type !== "file" || e.name.endsWith(name))
        .map((e) => (e.type === "file" ? { ...e, size } : e));
      for (const newSize of [size - 1, size + 1]) {
        truncateSync(path, newSize);
        await expect(collect(only, new BlockPool())).rejects.toMatchObject({ code: "E_SOURCE_CHANGED" });
      }
      truncateSync(path, size);
    }
  });

  it("a gzip layer built from blocks decompresses to the tar", async () => {
    const layoutDir = join(tmp.dir, "oci-check");
    const result = await buildImage({
      assets: [asset],
      assetRoot: "/cache",
      compression: "auto",
      platform: "linux/amd64",
      sourceDateEpoch: 0,
      labels: {},
      layoutDir,
      workers: 1,
    });
    for (const layer of result.layers) {
      const gz = readFileSync(join(layoutDir, "blobs", "sha256", layer.digest.slice(7)));
      expect(gunzipSync(gz).length).toBe(layer.uncompressedSize);
    }
  });
});

function* chunked(bytes: Buffer, size: number): Generator<Buffer> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

/** The whole tar, the size of each yielded block, and a way to find a file's content in it. */
async function collect(entries: TarEntry[], blocks: BlockPool) {
  const parts: Buffer[] = [];
  for await (const block of tarStream(entries, { mtime: 0, blocks })) parts.push(Buffer.from(block));
  const tar = Buffer.concat(parts);
  const file = (name: string): Buffer => {
    for (let at = 0; at + 512 <= tar.length; ) {
      const size = Number.parseInt(tar.toString("ascii", at + 124, at + 135), 8) || 0;
      const full = `${tar.toString("utf8", at + 345, at + 500).replace(/\0.*$/s, "")}/${tar
        .toString("utf8", at, at + 100)
        .replace(/\0.*$/s, "")}`.replace(/^\//, "");
      if (full === name) return tar.subarray(at + 512, at + 512 + size);
      at += 512 + Math.ceil(size / 512) * 512;
    }
    throw new Error(`${name} not in tar`);
  };
  return { tar, sizes: parts.map((p) => p.length), file };
}
