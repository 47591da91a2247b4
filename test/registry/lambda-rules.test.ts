import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { layerFindings } from "../../src/lambda-rules/layer-rules.js";
import { scanLayer } from "../../src/lambda-rules/layer-scan.js";
import { checkIndex, checkManifest } from "../../src/lambda-rules/manifest-rules.js";
import { DOCKER, type ImageManifest, OCI } from "../../src/registry/media-types.js";
import { tarBytes, withParents } from "./support/layers.js";

/** Lambda's deploy-time rules: pure manifest checks, and layer scans over hand-made tar streams. */

const d = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;
const linux = { os: "linux", architecture: "amd64" };

function manifest(type: string, config: string, layers: string[]): ImageManifest {
  return {
    schemaVersion: 2,
    mediaType: type,
    config: { mediaType: config, digest: d(9), size: 10 },
    layers: layers.map((mediaType, i) => ({ mediaType, digest: d(i + 1), size: 10 })),
  };
}

const rules = (fs: { rule: string }[]) => fs.map((f) => f.rule);

describe("manifest rules", () => {
  it("a clean Docker and a clean OCI image have no findings", () => {
    expect(checkManifest(manifest(DOCKER.manifest, DOCKER.config, [DOCKER.layerGzip]), DOCKER.manifest, 500, linux)).toEqual([]);
    expect(checkManifest(manifest(OCI.manifest, OCI.config, [OCI.layerGzip, OCI.layerTar]), OCI.manifest, 500, linux)).toEqual([]);
  });

  it("an index is a single-platform error listing its platforms", () => {
    const f = checkIndex(
      {
        schemaVersion: 2,
        manifests: [
          { mediaType: OCI.manifest, digest: d(1), size: 1, platform: { os: "linux", architecture: "amd64" } },
          { mediaType: OCI.manifest, digest: d(2), size: 1, platform: { os: "unknown", architecture: "unknown" } },
        ],
      },
      OCI.index,
    );
    expect(rules(f)).toEqual(["single-platform"]);
    expect(f[0]?.message).toContain("linux/amd64, unknown/unknown");
  });

  it("mixed families are named per layer; uncompressed and zstd layers under Docker are named too", () => {
    const mixed = checkManifest(manifest(DOCKER.manifest, DOCKER.config, [DOCKER.layerGzip, OCI.layerGzip]), DOCKER.manifest, 500, linux);
    expect(mixed).toContainEqual(expect.objectContaining({ rule: "media-type-family", layer: { index: 2, digest: d(2) } }));
    const tar = checkManifest(manifest(DOCKER.manifest, DOCKER.config, [DOCKER.layerTar]), DOCKER.manifest, 500, linux);
    expect(tar).toEqual([expect.objectContaining({ rule: "gzip-under-docker", layer: { index: 1, digest: d(1) } })]);
    expect(tar[0]?.message).toMatch(/uncompressed tar under a Docker v2s2 manifest/);
    const config = checkManifest(manifest(OCI.manifest, DOCKER.config, [OCI.layerGzip]), OCI.manifest, 500, linux);
    expect(rules(config)).toEqual(["media-type-family"]);
  });

  it("platform and manifest size", () => {
    const m = manifest(OCI.manifest, OCI.config, [OCI.layerGzip]);
    expect(rules(checkManifest(m, OCI.manifest, 500, { os: "windows", architecture: "amd64" }))).toEqual(["platform"]);
    expect(rules(checkManifest(m, OCI.manifest, 500, { os: "linux", architecture: "s390x" }))).toEqual(["platform"]);
    expect(checkManifest(m, OCI.manifest, 30_000, linux)).toEqual([expect.objectContaining({ rule: "manifest-size", severity: "warning" })]);
    expect(checkManifest(m, OCI.manifest, 5 * 1024 * 1024, linux)).toEqual([expect.objectContaining({ rule: "manifest-size", severity: "error" })]);
  });
});

const scan = (tar: Buffer, compression: "gzip" | "none" = "gzip", limitBytes = 10 * 1024 ** 3) =>
  scanLayer(Readable.from([compression === "gzip" ? gzipSync(tar) : tar]), {
    digest: d(3),
    compression,
    roots: ["cache"],
    limitBytes,
  });

describe("layer scans", () => {
  it("a well-formed layer: exact uncompressed size, every entry, nothing found", async () => {
    const tar = tarBytes(withParents([{ name: "cache/nltk_data/corpora/a.txt", data: "hello" }, { name: "var/task/app.py", data: "x" }]));
    const s = await scan(tar);
    expect(s).toMatchObject({ complete: true, uncompressedBytes: tar.length, entries: 7, missingParentCount: 0, unreadableCount: 0 });
    expect(layerFindings([s])).toEqual([]);
    expect((await scan(tar, "none")).uncompressedBytes).toBe(tar.length);
  });

  it("a file before (or without) its parent directory is named with the parent", async () => {
    const s = await scan(tarBytes([{ name: "cache", type: "dir" }, { name: "cache/hub/model.bin", data: "w" }, { name: "cache/hub", type: "dir" }]));
    expect(s.missingParents).toEqual([{ parent: "cache/hub", path: "cache/hub/model.bin" }]);
    const f = layerFindings([s]);
    expect(f).toEqual([expect.objectContaining({ rule: "parent-directories", layer: { index: 1, digest: d(3) }, path: "cache/hub/model.bin" })]);
    expect(f[0]?.message).toContain("/cache/hub/model.bin comes without an entry for its parent directory /cache/hub");
  });

  it("files and directories under the asset root that others cannot read; elsewhere they are not the assets", async () => {
    const s = await scan(
      tarBytes(
        withParents([
          { name: "cache/secret.bin", data: "x", mode: 0o600 },
          { name: "cache/ok.bin", data: "x", mode: 0o644 },
          { name: "cache/locked", type: "dir", mode: 0o700 },
          { name: "etc/shadow", data: "x", mode: 0o000 },
        ]),
      ),
    );
    expect(s.unreadable).toEqual([
      { path: "cache/secret.bin", mode: 0o600, type: "file" },
      { path: "cache/locked", mode: 0o700, type: "directory" },
    ]);
    const f = layerFindings([s]);
    expect(f.map((x) => x.path)).toEqual(["cache/secret.bin", "cache/locked"]);
    expect(f[0]?.message).toContain("file /cache/secret.bin has mode 0600");
  });

  it("a declared size past 10 GiB stops the scan at that entry, without reading on", async () => {
    // The header claims 11 GiB; the archive ends right after it (a few hundred bytes in all).
    const tar = tarBytes([{ name: "cache", type: "dir" }, { name: "cache/huge.bin", declaredSize: 11 * 1024 ** 3 }], false);
    const s = await scan(tar);
    expect(s.complete).toBe(false);
    expect(s.oversized).toEqual({ path: "cache/huge.bin", size: 11 * 1024 ** 3 });
    const f = layerFindings([s]);
    expect(f).toEqual([expect.objectContaining({ rule: "size-limit", path: "cache/huge.bin" })]);
    expect(f[0]?.message).toContain("declares /cache/huge.bin of 11.0 GiB");
  });

  it("layers that add up past the limit are one size finding naming the largest", async () => {
    const a = await scan(tarBytes(withParents([{ name: "cache/a", data: Buffer.alloc(4096) }])), "gzip", 8192);
    const b = await scan(tarBytes(withParents([{ name: "cache/b", data: Buffer.alloc(4096) }])), "gzip", 8192);
    const f = layerFindings([a, b], 8192);
    expect(f).toEqual([expect.objectContaining({ rule: "size-limit", message: expect.stringContaining("largest: layer") })]);
  });

  it("bytes that are not gzip are a layer-format error, not a crash", async () => {
    const s = await scanLayer(Readable.from([Buffer.from("this is not gzip at all")]), {
      digest: d(4),
      compression: "gzip",
      roots: ["cache"],
      limitBytes: 1e9,
    });
    expect(s.error).toMatch(/not a valid gzip stream/);
    expect(layerFindings([s])).toEqual([expect.objectContaining({ rule: "layer-format" })]);
  });
});
