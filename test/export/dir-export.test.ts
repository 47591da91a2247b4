import { randomBytes } from "node:crypto";
import { lstat, mkdir, mkdtemp, readFile, readlink, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it, onTestFinished } from "vitest";
import { InterruptedError } from "../../src/errors.js";
import type { MlpackEvent } from "../../src/events.js";
import { exportAssets, type ExportOptions, parseManifest } from "../../src/export/index.js";
import { RESULT_SCHEMAS } from "../../src/cli/results/index.js";
import { runCli } from "../support/cli.js";
import { stage, stagedProject, standardAssets } from "./project.js";

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "mlpack-efs-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function options(dir: string, lock: ExportOptions["lock"], to: string, extra: Partial<ExportOptions> = {}): ExportOptions {
  return { lock, projectDir: dir, to, prune: false, concurrency: 4, env: {}, version: "0.0.0-test", ...extra };
}

const HF = "huggingface/hub/models--org--m";

/** path → [type, mode, size, ino, mtimeMs] of every entry under `root`, for before/after comparisons. */
async function snapshot(root: string, rel = ""): Promise<Record<string, [string, number, number, number, number]>> {
  const out: Record<string, [string, number, number, number, number]> = {};
  for (const name of (await readdir(join(root, rel))).sort()) {
    const path = rel ? `${rel}/${name}` : name;
    const st = await lstat(join(root, path));
    const type = st.isDirectory() ? "dir" : st.isSymbolicLink() ? "symlink" : "file";
    out[path] = [type, st.mode & 0o777, st.size, st.ino, st.mtimeMs];
    if (st.isDirectory()) Object.assign(out, await snapshot(root, path));
  }
  return out;
}

describe("export to a folder (an EFS mount)", () => {
  it("writes the assets under their targets with symlinks kept, readable modes and the manifest last", async () => {
    const project = await stagedProject();
    const efs = await tempDir();
    const old = process.umask(0o077); // a strict umask must not make files unreadable for the function's uid
    try {
      const result = await exportAssets(options(project.dir, project.lock, efs), { emit: () => {} });
      expect(result.written.files).toBe(6);
      expect(result.links).toEqual({ written: 1, skipped: 0 });
    } finally {
      process.umask(old);
    }
    expect(await readlink(join(efs, `${HF}/snapshots/0123abcd/config.json`))).toBe(`../../blobs/${"a".repeat(64)}`);
    expect(JSON.parse(await readFile(join(efs, `${HF}/snapshots/0123abcd/config.json`), "utf8"))).toEqual({ model_type: "bert" });
    expect((await stat(join(efs, "nltk_data/corpora/stopwords/english"))).mode & 0o777).toBe(0o644);
    expect((await stat(join(efs, `${HF}/snapshots/0123abcd/run.sh`))).mode & 0o777).toBe(0o755);
    expect((await stat(join(efs, "nltk_data/corpora"))).mode & 0o777).toBe(0o755);
    expect(await readFile(join(efs, `${HF}/refs/main`), "utf8")).toBe("0123abcd");
    const manifest = parseManifest(await readFile(join(efs, "mlpack-assets.json"), "utf8"));
    expect(manifest?.totals).toEqual({ files: 6, bytes: project.lock.assets.reduce((n, a) => n + a.bytes, 0) });
    // The manifest is the newest thing in the folder: written after every file.
    const snap = await snapshot(efs);
    const newest = Math.max(...Object.entries(snap).filter(([p]) => p !== "mlpack-assets.json").map(([, s]) => s[4]));
    expect(snap["mlpack-assets.json"]?.[4]).toBeGreaterThanOrEqual(newest);
    // No temp files are left behind.
    expect(Object.keys(snap).filter((p) => p.includes(".mlpack-"))).toEqual([]);
  });

  it("re-exports unchanged assets without touching a file, and rewrites only the one that changed", async () => {
    const project = await stagedProject();
    const efs = await tempDir();
    await exportAssets(options(project.dir, project.lock, efs), { emit: () => {} });
    const before = await snapshot(efs);
    const again = await exportAssets(options(project.dir, project.lock, efs), { emit: () => {} });
    expect(again).toMatchObject({ written: { files: 0, bytes: 0 }, manifestAction: "unchanged", hashedBytes: 0 });
    expect(await snapshot(efs)).toEqual(before);
    // Another machine (no hash cache) hashes the files there once and still touches none of them.
    await rm(join(project.dir, ".mlpack/export-hashes.json"));
    const fresh = await exportAssets(options(project.dir, project.lock, efs), { emit: () => {} });
    expect(fresh).toMatchObject({ written: { files: 0, bytes: 0 }, manifestAction: "unchanged" });
    expect(fresh.hashedBytes).toBeGreaterThan(0);
    expect(await snapshot(efs)).toEqual(before);

    const assets = standardAssets();
    (assets.nltk as { files: Record<string, string> }).files["corpora/stopwords/german"] = "der\ndie\ndas\nund\n";
    const lock = await stage(project.dir, assets);
    const changed = await exportAssets(options(project.dir, lock, efs), { emit: () => {} });
    expect(changed.written).toEqual({ files: 1, bytes: 16 });
    const after = await snapshot(efs);
    const differs = Object.keys(after).filter((p) => JSON.stringify(after[p]) !== JSON.stringify(before[p]));
    expect(differs.sort()).toEqual(["mlpack-assets.json", "nltk_data/corpora/stopwords", "nltk_data/corpora/stopwords/german"]);
  });

  it("vouches for a same-size file only after hashing it, and replaces one whose bytes differ", async () => {
    const project = await stagedProject();
    const efs = await tempDir();
    await exportAssets(options(project.dir, project.lock, efs), { emit: () => {} });
    await writeFile(join(efs, "nltk_data/corpora/stopwords/english"), "THE\nA\nAN\n"); // same size, new mtime
    const result = await exportAssets(options(project.dir, project.lock, efs), { emit: () => {} });
    expect(result.written.files).toBe(1);
    expect(await readFile(join(efs, "nltk_data/corpora/stopwords/english"), "utf8")).toBe("the\na\nan\n");
  });

  it("never deletes files it did not write unless --prune; deletes its own stale files", async () => {
    const project = await stagedProject();
    const efs = await tempDir();
    await mkdir(join(efs, "other-app"));
    await writeFile(join(efs, "other-app/data.bin"), "keep me");
    await writeFile(join(efs, "nltk_data-notes.txt"), "keep me too");
    await exportAssets(options(project.dir, project.lock, efs), { emit: () => {} });
    await writeFile(join(efs, "nltk_data/corpora/mine.txt"), "a file the user put inside the export");
    const assets = standardAssets();
    delete (assets.nltk as { files: Record<string, string> }).files["tokenizers/punkt/README"];
    const lock = await stage(project.dir, assets);
    const result = await exportAssets(options(project.dir, lock, efs), { emit: () => {} });
    expect(result.deleted).toEqual(["nltk_data/tokenizers/punkt/README", "nltk_data/tokenizers/punkt", "nltk_data/tokenizers"].sort());
    expect(await readFile(join(efs, "other-app/data.bin"), "utf8")).toBe("keep me");
    expect(await readFile(join(efs, "nltk_data/corpora/mine.txt"), "utf8")).toContain("the user put");

    const pruned = await exportAssets(options(project.dir, lock, efs, { prune: true }), { emit: () => {} });
    expect(pruned.deleted).toEqual(["nltk_data-notes.txt", "nltk_data/corpora/mine.txt", "other-app", "other-app/data.bin"]);
    expect((await readdir(efs)).sort()).toEqual(["huggingface", "mlpack-assets.json", "nltk_data"]);
  });

  it("removes the files of an asset the lock no longer has, without --prune", async () => {
    const project = await stagedProject();
    const efs = await tempDir();
    await writeFile(join(efs, "user-notes.txt"), "not ours");
    await exportAssets(options(project.dir, project.lock, efs), { emit: () => {} });
    const assets = standardAssets();
    delete (assets as Record<string, unknown>).nltk;
    const lock = await stage(project.dir, assets);
    const result = await exportAssets(options(project.dir, lock, efs), { emit: () => {} });
    expect(result.deleted).toEqual(expect.arrayContaining(["nltk_data/corpora/stopwords/english", "nltk_data/tokenizers/punkt/README"]));
    expect((await readdir(efs)).sort()).toEqual(["huggingface", "mlpack-assets.json", "user-notes.txt"]);
  });

  it("refuses --prune on a non-empty folder no export wrote, and deletes nothing", async () => {
    const project = await stagedProject();
    const efs = await tempDir();
    await writeFile(join(efs, "holiday.jpg"), "a user's file");
    await expect(exportAssets(options(project.dir, project.lock, efs, { prune: true }), { emit: () => {} })).rejects.toMatchObject({
      code: "E_PRUNE_FOREIGN",
      message: expect.stringContaining("holds files and no mlpack-assets.json"),
    });
    expect(await readdir(efs)).toEqual(["holiday.jpg"]);
    // An empty folder is fine.
    const empty = await tempDir();
    await expect(exportAssets(options(project.dir, project.lock, empty, { prune: true }), { emit: () => {} })).resolves.toBeDefined();
  });

  it("refuses to replace a folder it did not write, and --prune on the project", async () => {
    const project = await stagedProject();
    const efs = await tempDir();
    await mkdir(join(efs, "nltk_data/corpora/stopwords/english"), { recursive: true });
    await writeFile(join(efs, "nltk_data/corpora/stopwords/english/x"), "user data");
    await expect(exportAssets(options(project.dir, project.lock, efs), { emit: () => {} })).rejects.toMatchObject({
      code: "E_EXPORT_CONFLICT",
      message: expect.stringContaining("stopwords/english is a folder the export did not write, where it must write a file"),
    });
    expect(await readFile(join(efs, "nltk_data/corpora/stopwords/english/x"), "utf8")).toBe("user data");
    await expect(exportAssets(options(project.dir, project.lock, project.dir, { prune: true }), { emit: () => {} })).rejects.toMatchObject({
      code: "E_USAGE",
      message: expect.stringContaining("--prune on"),
    });
    await expect(
      exportAssets(options(project.dir, project.lock, join(project.dir, ".mlpack/assets/x")), { emit: () => {} }),
    ).rejects.toMatchObject({ message: expect.stringContaining("inside the staged assets") });
  });

  it("an interrupted export leaves no manifest; the next run completes it", async () => {
    const project = await stagedProject();
    const efs = await tempDir();
    await exportAssets(options(project.dir, project.lock, efs), { emit: () => {} });
    const assets = standardAssets();
    (assets.nltk as { files: Record<string, string> }).files["corpora/stopwords/german"] = "neu\n";
    (assets.nltk as { files: Record<string, string> }).files["corpora/stopwords/english"] = "new\n";
    const lock = await stage(project.dir, assets);
    const stop = new AbortController();
    const emit = (e: MlpackEvent) => {
      if (e.type === "progress" && e.id === "export-write" && e.done > 0) stop.abort();
    };
    await expect(
      exportAssets(options(project.dir, lock, efs, { concurrency: 1 }), { emit, signal: stop.signal }),
    ).rejects.toBeInstanceOf(InterruptedError);
    await expect(stat(join(efs, "mlpack-assets.json"))).rejects.toMatchObject({ code: "ENOENT" });
    const done = await exportAssets(options(project.dir, lock, efs), { emit: () => {} });
    expect(done.written.files).toBe(1);
    expect(parseManifest(await readFile(join(efs, "mlpack-assets.json"), "utf8"))?.lockDigest).toBe(done.lockDigest);
  });

  it("mlpack export --to DIR: the manifest path on stdout, --json per the schema", async () => {
    const project = await stagedProject();
    const efs = join(await tempDir(), "models");
    const r = await runCli(["export", "--to", efs], { cwd: project.dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${efs}/mlpack-assets.json\n`);
    const doc = JSON.parse((await runCli(["export", "--to", efs, "--json"], { cwd: project.dir })).stdout);
    expect(RESULT_SCHEMAS.export.document.parse(doc)).toMatchObject({
      destination: { kind: "dir", path: efs },
      written: { files: 0, bytes: 0 },
      skipped: { files: 6 },
      links: { written: 0, skipped: 1 },
    });
    const missingParent = await runCli(["export", "--to", join(efs, "no/such/dir")], { cwd: project.dir });
    expect(missingParent.code).toBe(2);
    expect(missingParent.stderr).toMatch(/no\/such does not exist/);
  });
});

describe.runIf(process.getuid?.() === 0)("export to a full disk (a small tmpfs)", () => {
  it("fails with E_NO_SPACE naming the folder, leaves no temp file and no manifest", async () => {
    const mnt = await tempDir();
    await execa("mount", ["-t", "tmpfs", "-o", "size=256k", "mlpack-test-tmpfs", mnt]);
    onTestFinished(async () => {
      await execa("umount", [mnt]);
    });
    const project = await stagedProject({
      torch: {
        library: "torch",
        target: "torch",
        env: { TORCH_HOME: "/cache/torch" },
        files: { "hub/small.txt": "fits", "hub/checkpoints/w.pth": randomBytes(1024 * 1024) },
      },
    });
    const r = await runCli(["export", "--to", mnt, "--json"], { cwd: project.dir });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error).toMatchObject({
      code: "E_NO_SPACE",
      message: expect.stringMatching(new RegExp(`^no space left in ${mnt} while exporting to ${mnt} \\(1\\.0 MiB needed in all\\)`)),
    });
    const left = await snapshot(mnt);
    expect(Object.keys(left).filter((p) => p === "mlpack-assets.json" || p.includes(".mlpack-"))).toEqual([]);
  });
});
