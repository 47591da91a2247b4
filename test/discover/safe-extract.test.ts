import { lstat, mkdtemp, readFile, readlink, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { Header } from "tar";
import { afterEach, describe, expect, it } from "vitest";
import { extractTree, measureArchive } from "../../src/discover/safe-extract.js";
import { digestTree } from "../../src/lock/tree-digest.js";

type Entry = {
  path: string | Buffer;
  type?: "File" | "Directory" | "SymbolicLink" | "Link" | "FIFO";
  body?: string | Buffer;
  linkpath?: string;
  mode?: number;
  /** Write the name as a PAX `path` record (how Docker sends long and non-ASCII names). */
  pax?: boolean;
};

function block(header: Header): Buffer {
  const b = Buffer.alloc(512);
  header.encode(b, 0);
  return b;
}

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from("\n")]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);

/** A raw tar archive, as `docker cp` would send it, built entry by entry (hostile ones included). */
function archive(entries: Entry[], chunkSize = 0): Readable {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const body = typeof e.body === "string" ? Buffer.from(e.body) : (e.body ?? Buffer.alloc(0));
    const name = typeof e.path === "string" ? Buffer.from(e.path) : e.path;
    if (e.pax) {
      const record = paxRecord("path", name);
      parts.push(block(new Header({ path: "PaxHeaders.0/x", type: "ExtendedHeader", size: record.length, mtime: new Date(0) })));
      parts.push(record, pad(record.length));
    }
    const header = new Header({
      path: e.pax ? "placeholder" : name.toString("latin1"),
      type: e.type ?? "File",
      size: e.type === undefined || e.type === "File" ? body.length : 0,
      mode: e.mode ?? (e.type === "Directory" ? 0o755 : 0o644),
      linkpath: e.linkpath ?? "",
      mtime: new Date(0),
    });
    parts.push(block(header));
    if (body.length > 0) parts.push(body, pad(body.length));
  }
  parts.push(Buffer.alloc(1024));
  const all = Buffer.concat(parts);
  if (chunkSize === 0) return Readable.from([all]);
  const chunks: Buffer[] = [];
  for (let off = 0; off < all.length; off += chunkSize) chunks.push(all.subarray(off, off + chunkSize));
  return Readable.from(chunks);
}

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "mlpack-x-"));
  dirs.push(d);
  return d;
}

const opts = (filter: (rel: string) => string | undefined = () => undefined) => ({
  filter,
  source: "/root/hub",
  origin: "the container",
});

describe("extractTree (hostile archives)", () => {
  it("keeps inside symlinks and hard links, drops escapes, devices and filtered paths", async () => {
    const dest = await tempDir();
    const stats = await extractTree(
      archive([
        { path: "hub/", type: "Directory" },
        { path: "hub/blobs/", type: "Directory" },
        { path: "hub/blobs/abc", body: "weights", mode: 0o600 },
        { path: "hub/snap/", type: "Directory" },
        { path: "hub/snap/model.bin", type: "SymbolicLink", linkpath: "../blobs/abc" },
        { path: "hub/snap/hard", type: "Link", linkpath: "hub/blobs/abc" },
        { path: "hub/passwd", type: "SymbolicLink", linkpath: "/etc/passwd" },
        { path: "hub/up", type: "SymbolicLink", linkpath: "../../../etc" },
        { path: "hub/../escape", body: "x" },
        { path: "hub/fifo", type: "FIFO" },
        { path: "hub/token", body: "hf_secret" },
        { path: "hub/snap/model.bin/through", body: "x" },
      ]),
      dest,
      opts((rel) => (rel === "token" ? "secret" : undefined)),
    );
    expect(await readlink(join(dest, "snap", "model.bin"))).toBe("../blobs/abc");
    expect(await readFile(join(dest, "snap", "model.bin"), "utf8")).toBe("weights");
    expect((await lstat(join(dest, "snap", "hard"))).ino).toBe((await lstat(join(dest, "blobs", "abc"))).ino);
    for (const gone of ["passwd", "up", "fifo", "token", "../escape"])
      await expect(lstat(join(dest, gone))).rejects.toThrow();
    const reasons = Object.fromEntries(stats.skipped.map((s) => [s.path, s.reason]));
    expect(reasons).toMatchObject({
      passwd: "symlink to /etc/passwd leaves the asset",
      up: "symlink to ../../../etc leaves the asset",
      fifo: "FIFO entries are not packaged",
      token: "secret",
      "snap/model.bin/through": "parent is not a directory in the archive",
    });
    expect(stats.skipped.some((s) => s.reason === "path escapes the exported directory")).toBe(true);
    // Filter hits (noise, secrets) are expected; only what the tree made unsafe is flagged for a warning.
    const unsafe = Object.fromEntries(stats.skipped.map((s) => [s.path, s.unsafe]));
    expect(unsafe).toMatchObject({ token: false, passwd: true, up: true, fifo: true });
    expect(stats).toMatchObject({ files: 3, bytes: 7 });
    // The digest computed while extracting is the one a second read of the tree gives.
    expect(stats.tree).toEqual(await digestTree(dest));
  });

  it("hashes while extracting across chunk boundaries: the digest equals digestTree of the result", async () => {
    const big = Buffer.alloc(5 * 1024 * 1024 + 123);
    for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
    const entries: Entry[] = [
      { path: "m/", type: "Directory" },
      { path: "m/a.b", body: "x" },
      { path: "m/a/", type: "Directory" },
      { path: "m/a/c", body: "y" },
      { path: "m/big", body: big },
      { path: "m/tool", body: "#!/bin/sh\n", mode: 0o755 },
      { path: "m/z-empty", body: "" },
    ];
    for (const chunkSize of [0, 4096, 65536]) {
      const dest = await tempDir();
      const stats = await extractTree(archive(entries, chunkSize), join(dest, "t"), opts());
      expect((await readFile(join(dest, "t", "big"))).equals(big)).toBe(true);
      expect((await stat(join(dest, "t", "tool"))).mode & 0o777).toBe(0o755);
      expect(stats.tree).toEqual(await digestTree(join(dest, "t")));
      expect(stats.tree).toMatchObject({ files: 5, bytes: big.length + 12 });
    }
  });

  it("keeps zero runs as holes: a sparse file stays sparse, with its full size and content", async () => {
    const dest = await tempDir();
    const size = 16 * 1024 * 1024;
    const body = Buffer.alloc(size);
    body.write("head", 0);
    body.write("tail", size - 4);
    const stats = await extractTree(archive([{ path: "s/", type: "Directory" }, { path: "s/sparse", body }], 65536), dest, opts());
    const st = await stat(join(dest, "sparse"));
    expect(st.size).toBe(size);
    expect(st.blocks * 512).toBeLessThan(1024 * 1024);
    expect((await readFile(join(dest, "sparse"))).equals(body)).toBe(true);
    expect(stats.tree).toEqual(await digestTree(dest));
    // Trailing holes too: an all-zero file is allocated nothing but keeps its size.
    const dest2 = await tempDir();
    await extractTree(archive([{ path: "s/", type: "Directory" }, { path: "s/zeros", body: Buffer.alloc(size) }], 65536), dest2, opts());
    const z = await stat(join(dest2, "zeros"));
    expect(z.size).toBe(size);
    expect(z.blocks).toBe(0);
  });

  it("keeps names byte-exact from PAX records and refuses names that are not UTF-8 (unless filtered)", async () => {
    const names = ["nl\nname", "tab\tname", "back\\slash", "caf\u00e9", "cafe\u0301", "x".repeat(150)];
    const dest = await tempDir();
    const stats = await extractTree(
      archive([{ path: "t/", type: "Directory" }, ...names.map((n) => ({ path: `t/${n}`, body: n, pax: true }))]),
      dest,
      opts(),
    );
    for (const n of names) expect(await readFile(join(dest, n), "utf8")).toBe(n);
    expect(stats.files).toBe(names.length);
    expect(stats.tree).toEqual(await digestTree(dest));

    const bad = Buffer.concat([Buffer.from("t/bad"), Buffer.from([0xff]), Buffer.from("name")]);
    const refused = extractTree(
      archive([{ path: "t/", type: "Directory" }, { path: bad, body: "x", pax: true }]),
      await tempDir(),
      opts(),
    );
    await expect(refused).rejects.toMatchObject({ code: "E_UNSUPPORTED_NAME" });
    await expect(refused).rejects.toThrow("/root/hub/bad\\xffname (in the container) has a name that is not valid UTF-8");
    // Filtered (noise, secrets, --exclude): never written, so never refused.
    const skipped = await extractTree(
      archive([{ path: "t/", type: "Directory" }, { path: bad, body: "x", pax: true }]),
      await tempDir(),
      opts((rel) => (rel.startsWith("bad") ? "excluded" : undefined)),
    );
    expect(skipped.files).toBe(0);
  });

  it("a truncated archive or a child of a file rejects cleanly, with no unhandled rejection", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on("unhandledRejection", onUnhandled);
    try {
      const dest = await tempDir();
      const body = Buffer.alloc(8 * 1024 * 1024, 1);
      const run = extractTree(
        archive([{ path: "t/", type: "Directory" }, { path: "t/a", body }, { path: "t/a/b", body: "x" }], 65536),
        join(dest, "x"),
        opts(),
      );
      const stats = await run;
      expect(stats.skipped.map((s) => s.reason)).toContain("parent is not a directory in the archive");
      const truncated = extractTree(
        Readable.from([archive([{ path: "t/", type: "Directory" }, { path: "t/a", body }]).read().subarray(0, 100_000)]),
        join(dest, "y"),
        opts(),
      );
      await expect(truncated).rejects.toThrow("the archive is truncated");
      await new Promise((r) => setTimeout(r, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("measureArchive counts files and bytes without writing", async () => {
    const m = await measureArchive(
      archive([
        { path: "d/", type: "Directory" },
        { path: "d/a", body: "12345" },
        { path: "d/l", type: "SymbolicLink", linkpath: "a" },
      ]),
    );
    expect(m).toEqual({ files: 2, bytes: 5 });
  });
});
