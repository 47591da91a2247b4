import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { BlobSink } from "../../src/image/blob-sink.js";
import { pseudoRandom, tempDir } from "./helpers.js";

const tmp = tempDir("mlpack-sink-");
afterAll(() => tmp.cleanup());
afterEach(() => vi.restoreAllMocks());

type HandleMethod = (...args: unknown[]) => Promise<unknown>;
async function fileHandlePrototype(): Promise<{ writev: HandleMethod; datasync: HandleMethod; sync: HandleMethod }> {
  const handle = await open(join(tmp.dir, "probe"), "w");
  await handle.close();
  return Object.getPrototypeOf(handle);
}

describe("BlobSink", () => {
  it("batched writes land in order; `written` fires once per write, before commit returns", async () => {
    const layout = join(tmp.dir, "ok");
    const sink = await BlobSink.create(layout);
    const expected: Buffer[] = [];
    let written = 0;
    for (let i = 0; i < 300; i++) {
      const a = pseudoRandom((i * 7919) % 70_000, i + 1);
      const b = Buffer.from(`piece ${i}\n`);
      expected.push(a, Buffer.alloc(0), b);
      await sink.write(i % 2 ? [a, Buffer.alloc(0), b] : Buffer.concat([a, b]), () => written++);
    }
    const digest = await sink.commit();
    expect(written).toBe(300);
    const all = Buffer.concat(expected);
    expect(digest).toBe(`sha256:${createHash("sha256").update(all).digest("hex")}`);
    expect(readFileSync(join(layout, "blobs", "sha256", digest.slice(7))).equals(all)).toBe(true);
    expect(sink.size).toBe(all.length);
  });

  it("a failed write is reported by a later call, and discard leaves no file behind", async () => {
    const layout = join(tmp.dir, "fails");
    const sink = await BlobSink.create(layout);
    const proto = await fileHandlePrototype();
    const real = proto.writev;
    let calls = 0;
    vi.spyOn(proto, "writev").mockImplementation(function (this: unknown, ...args: unknown[]) {
      calls += 1;
      if (calls === 2) return Promise.reject(Object.assign(new Error("EIO: i/o error, write"), { code: "EIO" }));
      return real.apply(this, args);
    });
    const released: number[] = [];
    const attempt = async () => {
      // 1 MiB blocks: writes go out in batches of several, one at a time; the second batch fails.
      for (let i = 0; i < 12; i++) await sink.write(pseudoRandom(1 << 20, i + 1), () => released.push(i));
      await sink.commit();
    };
    await expect(attempt()).rejects.toMatchObject({ code: "EIO" });
    expect(calls).toBe(2);
    // The first batch was written and handed back; the blocks whose write failed never are.
    expect(released).toEqual([0, 1, 2, 3]);
    await sink.discard();
    expect(existsSync(sink.tempPath)).toBe(false);
    expect(readdirSync(join(layout, "blobs", "sha256"))).toEqual([]);
  });

  it("syncs in the background as it writes (the final fsync waits only for the tail), and a failed sync is reported", async () => {
    const proto = await fileHandlePrototype();
    const datasync = vi.spyOn(proto, "datasync");
    const layout = join(tmp.dir, "syncs");
    const sink = await BlobSink.create(layout);
    const block = pseudoRandom(1 << 20, 3);
    const hash = createHash("sha256");
    // 150 MiB: past two 64 MiB marks, so at least one background fdatasync must have started before commit.
    for (let i = 0; i < 150; i++) {
      hash.update(block);
      await sink.write(block);
    }
    expect(datasync.mock.calls.length).toBeGreaterThanOrEqual(1);
    const digest = await sink.commit();
    expect(digest).toBe(`sha256:${hash.digest("hex")}`);
    expect(readFileSync(join(layout, "blobs", "sha256", digest.slice(7))).length).toBe(150 << 20);

    datasync.mockImplementation(() => Promise.reject(Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" })));
    const failing = await BlobSink.create(layout);
    const attempt = async () => {
      for (let i = 0; i < 150; i++) await failing.write(block);
      await failing.commit();
    };
    await expect(attempt()).rejects.toMatchObject({ code: "EIO" });
    await failing.discard();
    expect(existsSync(failing.tempPath)).toBe(false);
  });
});
