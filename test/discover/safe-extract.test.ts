import { lstat, mkdtemp, readFile, readlink, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { Header } from "tar";
import { describe, expect, it, onTestFinished } from "vitest";
import { extractTree } from "../../src/discover/safe-extract.js";

type Entry = {
  path: string;
  type?: "File" | "Directory" | "SymbolicLink" | "Link" | "FIFO";
  body?: string;
  linkpath?: string;
  mode?: number;
};

/** A raw tar archive, as `docker cp` would send it, built entry by entry (hostile ones included). */
function archive(entries: Entry[]): Readable {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const body = Buffer.from(e.body ?? "");
    const header = new Header({
      path: e.path,
      type: e.type ?? "File",
      size: e.type === undefined || e.type === "File" ? body.length : 0,
      mode: e.mode ?? (e.type === "Directory" ? 0o755 : 0o644),
      linkpath: e.linkpath ?? "",
      mtime: new Date(0),
    });
    const block = Buffer.alloc(512);
    header.encode(block, 0);
    parts.push(block);
    if (body.length > 0) parts.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Readable.from([Buffer.concat(parts)]);
}

describe("extractTree (hostile archives)", () => {
  it("keeps inside symlinks and hard links, drops escapes, devices and filtered paths", async () => {
    const dest = await mkdtemp(join(tmpdir(), "mlpack-x-"));
    onTestFinished(() => rm(dest, { recursive: true, force: true }));
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
      (rel) => (rel === "token" ? "secret" : undefined),
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
  });
});
