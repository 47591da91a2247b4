import { existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { copyTree } from "../../src/discover/copy-tree.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tree(parent: string): string {
  const root = mkdtempSync(join(parent, "mlpack-tree-"));
  dirs.push(root);
  mkdirSync(join(root, "blobs"));
  mkdirSync(join(root, "snap"));
  writeFileSync(join(root, "blobs", "weights"), "w".repeat(10_000));
  writeFileSync(join(root, "blobs", "tool"), "#!/bin/sh\n", { mode: 0o755 });
  linkSync(join(root, "blobs", "weights"), join(root, "blobs", "weights-again"));
  symlinkSync("../blobs/weights", join(root, "snap", "model.bin"));
  writeFileSync(join(root, "token"), "secret");
  return root;
}

const noSecrets = (rel: string) => (rel === "token" ? "secret" : undefined);

describe("copyTree", () => {
  it.each([
    ["copy", false, tmpdir(), false],
    ["move", true, tmpdir(), true],
    // /dev/shm is another filesystem: rename fails with EXDEV and the file is copied instead.
    ["move across filesystems", true, "/dev/shm", false],
  ])("%s: the same staged tree (links, modes, filtered files left alone)", async (_, move, sourceParent, gone) => {
    if (!existsSync(sourceParent)) return;
    const source = tree(sourceParent);
    const dest = join(mkdtempSync(join(tmpdir(), "mlpack-dest-")), "asset");
    dirs.push(join(dest, ".."));
    const stats = await copyTree(source, dest, noSecrets, { move });
    expect(stats).toEqual({ files: 4, bytes: 10_010, skipped: [{ path: "token", reason: "secret", unsafe: false }] });
    expect(readFileSync(join(dest, "snap", "model.bin"), "utf8")).toBe("w".repeat(10_000));
    expect(lstatSync(join(dest, "blobs", "weights-again")).ino).toBe(lstatSync(join(dest, "blobs", "weights")).ino);
    expect(lstatSync(join(dest, "blobs", "tool")).mode & 0o777).toBe(0o755);
    expect(existsSync(join(dest, "token"))).toBe(false);
    // Renamed files are gone from the source; copied ones (and filtered ones) are still there.
    expect(existsSync(join(source, "blobs", "weights"))).toBe(!gone);
    expect(existsSync(join(source, "token"))).toBe(true);
  });
});

describe("copyTree on a large tree", () => {
  function wide(parent: string, files: number): string {
    const root = mkdtempSync(join(parent, "mlpack-wide-"));
    dirs.push(root);
    for (let i = 0; i < files; i++) {
      if (i % 100 === 0) mkdirSync(join(root, `d${i / 100}`));
      writeFileSync(join(root, `d${Math.floor(i / 100)}`, `f${i}`), "x".repeat(i % 7));
    }
    return root;
  }

  it("an abort stops it with InterruptedError before the whole tree is moved", async () => {
    const src = wide(tmpdir(), 1000);
    const dest = join(mkdtempSync(join(tmpdir(), "mlpack-dest-")), "out");
    dirs.push(join(dest, ".."));
    const controller = new AbortController();
    controller.abort();
    await expect(copyTree(src, dest, () => undefined, { move: true, signal: controller.signal })).rejects.toMatchObject({
      code: "E_INTERRUPTED",
    });
    // Stopped at the first turn of the event loop: most of the files were never touched.
    const left = readdirSync(src).reduce((n, d) => n + readdirSync(join(src, d)).length, 0);
    expect(left).toBeGreaterThan(500);
  });

  it("reports each staged file's bytes, adding up to the tree's total", async () => {
    const src = wide(tmpdir(), 600);
    const dest = join(mkdtempSync(join(tmpdir(), "mlpack-dest-")), "out");
    dirs.push(join(dest, ".."));
    const seen: number[] = [];
    const stats = await copyTree(src, dest, () => undefined, { move: true, onBytes: (b) => seen.push(b) });
    expect(seen).toHaveLength(600);
    expect(seen.reduce((a, b) => a + b, 0)).toBe(stats.bytes);
    expect(stats.bytes).toBe(Array.from({ length: 600 }, (_, i) => i % 7).reduce((a, b) => a + b, 0));
  });
});
