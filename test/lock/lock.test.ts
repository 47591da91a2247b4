import { chmod, mkdir, mkdtemp, readFile, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { diffLocks, hasDrift, type Lock, readLock, serializeLock, writeLock } from "../../src/lock/lock.js";
import { digestTree } from "../../src/lock/tree-digest.js";

const asset = (id: string, digest = "a", env: Record<string, string> = {}) => ({
  id,
  library: id,
  source: `/root/${id}`,
  target: id,
  env,
  files: 1,
  bytes: 1,
  digest: `sha256:${digest.repeat(64).slice(0, 64)}`,
});

const lock = (assets: ReturnType<typeof asset>[]): Lock => ({
  schemaVersion: 1,
  runner: "docker",
  image: "img",
  command: ["python", "app.py"],
  assetRoot: "/cache",
  assets,
  skipped: [],
});

describe("lock file", () => {
  it("has stable bytes: sorted keys and assets, newline at the end", () => {
    const text = serializeLock(lock([asset("torch"), asset("nltk", "b", { Z: "1", A: "2" })]));
    expect(text.endsWith("}\n")).toBe(true);
    expect(text.indexOf('"nltk"')).toBeLessThan(text.indexOf('"torch"'));
    expect(text.indexOf('"A"')).toBeLessThan(text.indexOf('"Z"'));
    expect(text).not.toMatch(/time|date/i);
    expect(serializeLock(lock([asset("nltk", "b", { A: "2", Z: "1" }), asset("torch")]))).toBe(text);
  });

  it("round-trips through disk and rejects a malformed one naming the field", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mlpack-lock-"));
    const path = join(dir, "mlpack.lock.json");
    const l = lock([asset("nltk")]);
    await writeLock(path, l);
    expect(await readLock(path)).toEqual(l);
    await writeFile(path, JSON.stringify({ ...l, assets: [{ ...asset("nltk"), digest: "md5:x" }] }));
    await expect(readLock(path)).rejects.toThrow(/^mlpack\.lock\.json: assets\[0\]\.digest "[^"]*": must be sha256:<64 hex>$/);
    await expect(readLock(join(dir, "nope", "mlpack.lock.json"))).rejects.toMatchObject({
      message: `no mlpack.lock.json in ${join(dir, "nope")}`,
      hint: expect.stringContaining("mlpack discover"),
      exitCode: 2,
    });
  });

  it("diff names added, removed and changed assets, ignoring key order", () => {
    const before = lock([asset("nltk", "a", { A: "1", B: "2" }), asset("torch")]);
    const same = lock([asset("torch"), asset("nltk", "a", { B: "2", A: "1" })]);
    expect(hasDrift(diffLocks(before, same))).toBe(false);
    const after = lock([asset("nltk", "c", { A: "1", B: "2" }), asset("gensim")]);
    expect(diffLocks(before, after)).toEqual({
      added: ["gensim"],
      removed: ["torch"],
      changed: [{ id: "nltk", fields: ["digest"] }],
    });
  });
});

describe("digestTree", () => {
  async function tree(mtime: number, mode: number): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), "mlpack-tree-"));
    await mkdir(join(dir, "blobs"));
    await mkdir(join(dir, "snapshots", "c"), { recursive: true });
    await writeFile(join(dir, "blobs", "x"), "weights");
    await chmod(join(dir, "blobs", "x"), mode);
    await symlink("../../blobs/x", join(dir, "snapshots", "c", "model.bin"));
    await utimes(join(dir, "blobs", "x"), mtime, mtime);
    return dir;
  }

  it("ignores mtimes and non-exec permission bits, counts files and symlinks", async () => {
    const a = await digestTree(await tree(1000, 0o600));
    const b = await digestTree(await tree(2000, 0o644));
    expect(a).toEqual(b);
    expect(a).toMatchObject({ files: 2, bytes: 7 });
  });

  it("changes with content, link targets and the exec bit", async () => {
    const base = await digestTree(await tree(0, 0o644));
    const exec = await digestTree(await tree(0, 0o755));
    expect(exec.digest).not.toBe(base.digest);
    const dir = await tree(0, 0o644);
    await writeFile(join(dir, "blobs", "x"), "weightz");
    expect((await digestTree(dir)).digest).not.toBe(base.digest);
    expect(await readFile(join(dir, "snapshots", "c", "model.bin"), "utf8")).toBe("weightz");
  });
});
