import { existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
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
