import { chmod, mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Lock, LockAsset } from "../../src/lock/lock.js";
import { writeLock } from "../../src/lock/lock.js";
import { digestTree } from "../../src/lock/tree-digest.js";
import { useTempProject, type TempProject } from "../support/project.js";

/** A staged file's content, a symlink, or an executable file. */
export type StagedEntry = string | Buffer | { link: string } | { exec: string };

export interface StagedAsset {
  library: string;
  target: string;
  env: Record<string, string>;
  files: Record<string, StagedEntry>;
}

/** The assets most export tests use: an nltk corpus and a Hugging Face repo with snapshot symlinks. */
export function standardAssets(): Record<string, StagedAsset> {
  const blob = "a".repeat(64);
  return {
    huggingface: {
      library: "huggingface",
      target: "huggingface",
      env: { HF_HOME: "/cache/huggingface", HF_HUB_CACHE: "/cache/huggingface/hub", HF_HUB_OFFLINE: "1" },
      files: {
        [`hub/models--org--m/blobs/${blob}`]: '{"model_type": "bert"}',
        "hub/models--org--m/refs/main": "0123abcd",
        "hub/models--org--m/snapshots/0123abcd/config.json": { link: `../../blobs/${blob}` },
        "hub/models--org--m/snapshots/0123abcd/run.sh": { exec: "#!/bin/sh\necho hi\n" },
      },
    },
    nltk: {
      library: "nltk",
      target: "nltk_data",
      env: { NLTK_DATA: "/cache/nltk_data" },
      files: {
        "corpora/stopwords/english": "the\na\nan\n",
        "corpora/stopwords/german": "der\ndie\ndas\n",
        "tokenizers/punkt/README": "punkt",
      },
    },
  };
}

async function writeAsset(root: string, asset: StagedAsset): Promise<void> {
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  for (const [rel, entry] of Object.entries(asset.files)) {
    const path = join(root, rel);
    await mkdir(dirname(path), { recursive: true });
    if (typeof entry === "object" && !Buffer.isBuffer(entry) && "link" in entry) await symlink(entry.link, path);
    else if (typeof entry === "object" && !Buffer.isBuffer(entry) && "exec" in entry) {
      await writeFile(path, entry.exec);
      await chmod(path, 0o755);
    } else await writeFile(path, entry);
  }
}

/** Stages the assets under `.mlpack/assets/<id>` and writes the lock mlpack discover would write for them. */
export async function stage(dir: string, assets: Record<string, StagedAsset>): Promise<Lock> {
  const lockAssets: LockAsset[] = [];
  for (const [id, asset] of Object.entries(assets).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const root = join(dir, ".mlpack", "assets", id);
    await writeAsset(root, asset);
    const summary = await digestTree(root);
    lockAssets.push({
      id,
      library: asset.library,
      source: `~/.cache/${asset.target}`,
      target: asset.target,
      env: asset.env,
      files: summary.files,
      bytes: summary.bytes,
      digest: summary.digest,
    });
  }
  const lock: Lock = {
    schemaVersion: 1,
    runner: "local",
    image: null,
    command: ["python3", "app.py"],
    assetRoot: "/cache",
    assets: lockAssets,
    skipped: [],
  };
  await writeLock(join(dir, "mlpack.lock.json"), lock);
  return lock;
}

/** A temp project (removed when the test ends) with staged assets and a matching lock. */
export async function stagedProject(
  assets: Record<string, StagedAsset> = standardAssets(),
): Promise<TempProject & { lock: Lock; assets: Record<string, StagedAsset> }> {
  const project = await useTempProject();
  const lock = await stage(project.dir, assets);
  return { ...project, lock, assets };
}
