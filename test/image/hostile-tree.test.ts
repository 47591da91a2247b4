import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { Parser, type ReadEntry } from "tar";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildImage } from "../../src/image/build-image.js";
import { tarStream } from "../../src/image/tar-entries.js";
import { tempDir, treeRecords, walkedLayer } from "./helpers.js";

const tmp = tempDir("mlpack-hostile-");
afterAll(() => tmp.cleanup());

const long120 = "n".repeat(120);
const deep = ["d".repeat(90), "e".repeat(90), "f".repeat(90)].join("/"); // > 255 bytes once prefixed
const staged = join(tmp.dir, "staged");

beforeAll(() => {
  mkdirSync(join(staged, deep), { recursive: true });
  mkdirSync(join(staged, "sub", "inner"), { recursive: true });
  writeFileSync(join(staged, long120), "long name\n");
  writeFileSync(join(staged, deep, "weights.bin"), "deep\n");
  writeFileSync(join(staged, "модель-τ-模型.json"), "{}\n");
  writeFileSync(join(staged, "secret-ish.txt"), "private\n", { mode: 0o600 });
  symlinkSync("/etc/passwd", join(staged, "passwd"));
  symlinkSync("../../..", join(staged, "sub", "inner", "up"));
  symlinkSync("../модель-τ-模型.json", join(staged, "sub", "ok-link"));
  symlinkSync(`../${long120}`, join(staged, "sub", "long-link"));
  execFileSync("mkfifo", [join(staged, "pipe")]);
});

describe("hostile trees", () => {
  it("packs long and non-ASCII names, skips escaping links and FIFOs with a reason", async () => {
    const layout = join(tmp.dir, "oci");
    const result = await buildImage({
      assets: [{ id: "x", target: "x", dir: staged, layering: "single" }],
      assetRoot: "/cache",
      compression: "stored",
      platform: "linux/amd64",
      sourceDateEpoch: 0,
      labels: {},
      layoutDir: layout,
      tag: "h",
    });
    expect(result.warnings).toEqual([
      { path: join(staged, "passwd"), reason: "absolute symlink target /etc/passwd" },
      { path: join(staged, "pipe"), reason: expect.stringMatching(/^FIFO skipped/) },
      { path: join(staged, "sub", "inner", "up"), reason: "symlink target ../../.. escapes the asset" },
    ]);
    const bundle = join(tmp.dir, "bundle");
    execFileSync("umoci", ["unpack", "--image", `${layout}:h`, bundle], { stdio: "pipe" });
    const unpacked = treeRecords(join(bundle, "rootfs", "cache", "x"), false);
    const expected = treeRecords(staged);
    for (const skipped of ["passwd", "pipe", "sub/inner/up"]) expected.delete(skipped);
    expect(unpacked).toEqual(expected);
    expect(unpacked.get("secret-ish.txt")?.mode).toBe(0o644);
    expect(unpacked.get("sub/long-link")?.content).toBe(`../${long120}`);
    expect(Buffer.byteLength(`cache/x/${deep}/weights.bin`)).toBeGreaterThan(255);
  });

  it("writes a > 8 GiB sparse file with a PAX size that tar readers honour", {
    timeout: 90_000,
  }, async () => {
    const dir = join(tmp.dir, "huge");
    mkdirSync(dir);
    execFileSync("truncate", ["-s", "9G", join(dir, "shard.bin")]);
    writeFileSync(join(dir, "after.txt"), "still here\n");
    const { entries } = walkedLayer(dir);
    // The entries come from the real walk; the 9 GiB of zeros come from one reused buffer instead of
    // reading the sparse file through the kernel, which keeps this test well under a minute.
    const zeros = Buffer.alloc(8 << 20);
    for (const entry of entries) {
      if (entry.name.endsWith("shard.bin")) {
        const size = 9 * 2 ** 30;
        entry.size = size;
        entry.open = () =>
          Readable.from(
            (function* () {
              for (let left = size; left > 0; left -= zeros.length)
                yield zeros.subarray(0, Math.min(left, zeros.length));
            })(),
          );
      }
    }
    const seen: { path: string; size: number }[] = [];
    let sawPaxSize = false;
    const parser = new Parser({
      onReadEntry: (e: ReadEntry) => {
        seen.push({ path: e.path, size: e.size });
        e.resume();
      },
    });
    const done = new Promise<void>((resolve, reject) => {
      parser.on("end", resolve);
      parser.on("error", reject);
    });
    const stream = Readable.from(
      (async function* () {
        for await (const chunk of tarStream(entries, { mtime: 0 })) {
          // Headers share 1 MiB blocks with content; the PAX header is in the first block.
          if (!sawPaxSize && chunk.includes("size=9663676416\n")) sawPaxSize = true;
          yield chunk;
        }
      })(),
    );
    stream.pipe(parser);
    await done;
    expect(sawPaxSize).toBe(true);
    expect(seen).toEqual([
      { path: "cache/", size: 0 },
      { path: "cache/h/", size: 0 },
      { path: "cache/h/after.txt", size: 11 },
      { path: "cache/h/shard.bin", size: 9 * 2 ** 30 },
    ]);
  });
});
