import { describe, expect, it } from "vitest";
import { objectKey, parseDestination } from "../../src/export/destination.js";
import { exportPath, type Manifest, parseManifest, serializeManifest } from "../../src/export/manifest.js";
import { decideDirFile, decideS3, headMatches, partSizeFor, stalePaths } from "../../src/export/plan.js";
import type { SourceFile } from "../../src/export/source.js";
import { parseEndpoint } from "../../src/export/endpoint.js";
import { pool } from "../../src/util/pool.js";

const file = (over: Partial<SourceFile> = {}): SourceFile => ({
  path: "nltk_data/x",
  abs: "/staged/x",
  size: 10,
  mode: 0o644,
  sha256: "a".repeat(64),
  mtimeMs: 1_700_000_000_000,
  statKey: "10:1:1:1",
  ...over,
});

describe("parseDestination", () => {
  it.each([
    ["s3://models", { kind: "s3", bucket: "models", prefix: "", url: "s3://models" }],
    ["s3://models/", { kind: "s3", bucket: "models", prefix: "", url: "s3://models" }],
    ["s3://models/prod/v1/", { kind: "s3", bucket: "models", prefix: "prod/v1", url: "s3://models/prod/v1" }],
    ["S3://my.bucket-1//a", { kind: "s3", bucket: "my.bucket-1", prefix: "a", url: "s3://my.bucket-1/a" }],
    ["efs", { kind: "dir", path: "/proj/efs" }],
    ["/mnt/models", { kind: "dir", path: "/mnt/models" }],
  ])("%s", (to, expected) => {
    expect(parseDestination(to, "/proj")).toEqual(expected);
  });

  it.each([
    ["gs://b/x", /only s3:\/\//],
    ["s3://ab/x", /not a valid S3 bucket name/],
    ["s3://Upper/x", /not a valid S3 bucket name/],
    ["s3://a..b/x", /not a valid S3 bucket name/],
    ["s3://models/a//b", /empty/],
    ["s3://models/a/./b", /empty/],
    ["s3://models/../b", /empty/],
    ["s3://models/a\nb", /control characters/],
    ["  ", /--to is empty/],
  ])("refuses %j", (to, message) => {
    expect(() => parseDestination(to, "/proj")).toThrow(message);
  });

  it("keys sit under the prefix", () => {
    expect(objectKey("", "a/b")).toBe("a/b");
    expect(objectKey("p/q", "a/b")).toBe("p/q/a/b");
  });
});

describe("parseEndpoint", () => {
  it("takes loopback http and any https base URL", () => {
    expect(parseEndpoint("http://127.0.0.1:4568").host).toBe("127.0.0.1:4568");
    expect(parseEndpoint("http://[::1]:9000/").host).toBe("[::1]:9000");
    expect(parseEndpoint("https://s3.example.com").host).toBe("s3.example.com");
  });
  it.each([
    ["ftp://x", /http:\/\/ or https:\/\//],
    ["http://10.0.0.1:9000", /only allowed on loopback/],
    ["https://u:p@s3.example.com", /must not carry credentials/],
    ["https://s3.example.com/bucket", /without a path/],
    ["nonsense", /is not a URL/],
  ])("refuses %s", (raw, message) => {
    expect(() => parseEndpoint(raw)).toThrow(message);
  });
});

describe("incremental decisions", () => {
  const prev = { path: "nltk_data/x", type: "file" as const, size: 10, sha256: "a".repeat(64), mode: 0o644 as const };
  it.each([
    ["missing object", undefined, prev, "upload"],
    ["other size", { size: 11, etag: '"e"' }, { ...prev, etag: '"e"' }, "upload"],
    ["our manifest recorded this ETag with this sha256", { size: 10, etag: '"e"' }, { ...prev, etag: '"e"' }, "skip"],
    ["rewritten since (another ETag)", { size: 10, etag: '"f"' }, { ...prev, etag: '"e"' }, "head"],
    ["recorded with another sha256", { size: 10, etag: '"e"' }, { ...prev, sha256: "b".repeat(64), etag: '"e"' }, "head"],
    ["no previous manifest", { size: 10, etag: '"e"' }, undefined, "head"],
  ] as const)("S3: %s → %s", (_name, remote, previous, expected) => {
    expect(decideS3(file(), remote, previous)).toBe(expected);
  });

  it("S3 HEAD: only the object's own size and sha256 metadata count", () => {
    expect(headMatches(file(), { size: 10, sha256: "a".repeat(64) })).toBe(true);
    expect(headMatches(file(), { size: 10, sha256: undefined })).toBe(false);
    expect(headMatches(file(), { size: 9, sha256: "a".repeat(64) })).toBe(false);
  });

  it.each([
    ["nothing there", undefined, undefined, "write"],
    ["a symlink there", { type: "symlink", size: 0, mode: 0o777, statKey: "" }, undefined, "write"],
    ["another size", { type: "file", size: 9, mode: 0o644, statKey: "k" }, "a".repeat(64), "write"],
    ["vouched for by the cache", { type: "file", size: 10, mode: 0o644, statKey: "k" }, "a".repeat(64), "skip"],
    ["cache knows other bytes", { type: "file", size: 10, mode: 0o644, statKey: "k" }, "b".repeat(64), "compare"],
    ["same size, unknown", { type: "file", size: 10, mode: 0o644, statKey: "k" }, undefined, "compare"],
  ] as const)("folder: %s → %s", (_name, existing, vouched, expected) => {
    expect(decideDirFile(file(), existing, vouched)).toBe(expected);
  });

  it("deletes only what the previous export wrote, everything else only with prune", () => {
    const base = { keep: new Set(["a", "b"]), previous: ["a", "old", "gone"], present: ["a", "b", "old", "user", "m.json"], manifest: "m.json" };
    expect(stalePaths({ ...base, prune: false })).toEqual(["old"]);
    expect(stalePaths({ ...base, prune: true })).toEqual(["old", "user"]);
  });

  it("part sizes stay within S3's 10,000 parts", () => {
    expect(partSizeFor(1)).toBe(8 * 1024 * 1024);
    expect(partSizeFor(200 * 1024 ** 3)).toBeGreaterThanOrEqual(Math.ceil((200 * 1024 ** 3) / 10_000));
    expect(Math.ceil((200 * 1024 ** 3) / partSizeFor(200 * 1024 ** 3))).toBeLessThanOrEqual(10_000);
  });
});

describe("manifest", () => {
  const manifest: Manifest = {
    schemaVersion: 1,
    kind: "mlpack-assets",
    lockDigest: `sha256:${"c".repeat(64)}`,
    assetRoot: "/cache",
    mlpackVersion: "0.1.0",
    assets: [{ id: "nltk", library: "nltk", target: "nltk_data", env: { NLTK_DATA: "/cache/nltk_data" }, files: 1, bytes: 3, digest: `sha256:${"d".repeat(64)}` }],
    files: [
      { path: "nltk_data/b", type: "file", size: 3, sha256: "e".repeat(64), mode: 0o644 },
      { path: "nltk_data", type: "dir" },
      { path: "nltk_data/a", type: "symlink", target: "b" },
    ],
    totals: { files: 1, bytes: 3 },
  };
  it("serialises canonically (sorted keys, entries in path order) and parses back", () => {
    const text = serializeManifest(manifest);
    expect(text.endsWith("}\n")).toBe(true);
    expect(JSON.parse(text).files.map((f: { path: string }) => f.path)).toEqual(["nltk_data", "nltk_data/a", "nltk_data/b"]);
    expect(parseManifest(text)).toEqual({ ...manifest, files: JSON.parse(text).files });
    expect(serializeManifest(parseManifest(text) as Manifest)).toBe(text);
  });
  it("treats foreign or damaged bytes as no manifest", () => {
    expect(parseManifest("not json")).toBeUndefined();
    expect(parseManifest(JSON.stringify({ ...manifest, kind: "other" }))).toBeUndefined();
  });
  it.each(["", "/abs", "a//b", "a/../b", "..", "./a", "a/\0"])("refuses the unsafe path %j", (path) => {
    expect(exportPath.safeParse(path).success).toBe(false);
  });
});

describe("pool", () => {
  it("keeps at most `limit` slots busy, a heavy item taking several", async () => {
    let busy = 0;
    let peak = 0;
    const order: number[] = [];
    await pool(
      [1, 4, 1, 1, 4, 1],
      4,
      async (w) => {
        busy += w;
        peak = Math.max(peak, busy);
        order.push(w);
        await new Promise((r) => setTimeout(r, 5));
        busy -= w;
      },
      (w) => w,
    );
    expect(peak).toBeLessThanOrEqual(4);
    expect(order).toEqual([1, 4, 1, 1, 4, 1]);
  });
  it("stops starting items after the first failure, waits for the running ones, and rethrows it", async () => {
    const started: number[] = [];
    let running = 0;
    const p = pool([1, 2, 3, 4, 5, 6], 2, async (i) => {
      started.push(i);
      running += 1;
      await new Promise((r) => setTimeout(r, i === 2 ? 1 : 20));
      running -= 1;
      if (i === 2) throw new Error("boom");
    });
    await expect(p).rejects.toThrow("boom");
    expect(running).toBe(0);
    expect(started).toEqual([1, 2]); // 3 would have taken the failed item's slot
  });
});
