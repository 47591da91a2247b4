// Extra bench projects for the scaling rows, staged straight into <project>/.mlpack/assets (no discover run):
// N small text files alone (20k, 100k), and one incompressible weights file of N GiB alone (0.5 … 8 GiB).
// Each lock is written with the real per-asset digest (dist/lock/tree-digest.js), so `mlpack bundle` treats the
// project exactly like a discovered one. Generated once under MLPACK_BENCH_DATA and reused while the marker matches.
import { createCipheriv } from "node:crypto";
import { once } from "node:events";
import { createWriteStream, existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { DATA_DIR, ROOT } from "./measure.mjs";

const VERSION = 1;
const COMMIT = "0123456789abcdef0123456789abcdef01234567";
const WORDS = "the model token layer weight attention vector embedding corpus train eval batch loss gradient head".split(" ");

function textDoc(i) {
  let x = (i * 2654435761) >>> 0;
  const parts = [`# document ${i}\n`];
  let len = parts[0].length;
  const target = 1000 + ((i * 7919) % 8000); // 1 KB .. 9 KB, mean ~5 KB
  while (len < target) {
    x = (x * 1103515245 + 12345) >>> 0;
    const w = WORDS[x % WORDS.length] + (x % 11 === 0 ? ".\n" : " ");
    parts.push(w);
    len += w.length;
  }
  return parts.join("");
}

async function writeWeights(path, bytes) {
  const cipher = createCipheriv("aes-256-ctr", Buffer.alloc(32, 9), Buffer.alloc(16, 0));
  const zero = Buffer.alloc(8 << 20);
  const out = createWriteStream(path);
  for (let left = bytes; left > 0; left -= zero.length) {
    if (!out.write(cipher.update(left >= zero.length ? zero : zero.subarray(0, left)))) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
}

/** A project whose one asset (hf layout: blobs + snapshot links + refs) is made by `fill(repoDir)`. */
async function staged(name, repo, fill) {
  const project = join(DATA_DIR, "projects", name);
  const marker = join(project, ".bench-staged");
  if (existsSync(marker) && JSON.parse(await readFile(marker, "utf8")).version === VERSION) return project;
  await rm(project, { recursive: true, force: true });
  const asset = join(project, ".mlpack", "assets", "huggingface");
  const repoDir = join(asset, "hub", repo);
  await mkdir(join(repoDir, "refs"), { recursive: true });
  await writeFile(join(repoDir, "refs", "main"), COMMIT);
  await fill(repoDir);
  const { digestTree } = await import(join(ROOT, "dist", "lock", "tree-digest.js"));
  const t0 = Date.now();
  const summary = await digestTree(asset);
  process.stderr.write(`[data] ${name}: ${summary.files} files, ${summary.bytes} B (digest ${(Date.now() - t0) / 1000} s)\n`);
  const lock = {
    assetRoot: "/cache",
    assets: [
      {
        bytes: summary.bytes,
        digest: summary.digest,
        env: { HF_HOME: "/cache/huggingface" },
        files: summary.files,
        id: "huggingface",
        library: "huggingface",
        source: "~/.cache/huggingface",
        target: "huggingface",
      },
    ],
    command: ["true"],
    image: null,
    runner: "local",
    schemaVersion: 1,
    skipped: [],
  };
  await writeFile(join(project, "mlpack.lock.json"), `${JSON.stringify(lock, null, 2)}\n`);
  // As discover leaves a staged tree: stamped, so bundle checks ctimes instead of re-digesting.
  const { writeStageStamp } = await import(join(ROOT, "dist", "lock", "stage-stamp.js"));
  await writeStageStamp(join(project, ".mlpack", "assets"), lock.assets[0]);
  await writeFile(marker, JSON.stringify({ version: VERSION }));
  return project;
}

/** `count` small text files (HF dataset layout, one snapshot symlink each). */
export function smallFilesProject(count) {
  return staged(`small-${count}`, `datasets--bench--text-${count}`, async (repoDir) => {
    const { symlink } = await import("node:fs/promises");
    for (let i = 0; i < count; i++) {
      const shard = String(Math.floor(i / 200)).padStart(4, "0");
      const rel = `data/shard-${shard}/doc-${String(i).padStart(6, "0")}.txt`;
      const blob = join(repoDir, "blobs", `t${String(i).padStart(7, "0")}`);
      if (i % 10_000 === 0) await mkdir(dirname(blob), { recursive: true });
      await writeFile(blob, textDoc(i));
      const link = join(repoDir, "snapshots", COMMIT, rel);
      if (i % 200 === 0) await mkdir(dirname(link), { recursive: true });
      await symlink(`${"../".repeat(rel.split("/").length + 1)}blobs/t${String(i).padStart(7, "0")}`, link);
    }
  });
}

/** One incompressible weights file of `mib` MiB. */
export function weightsProject(mib) {
  return staged(`weights-${mib}m`, `models--bench--weights-${mib}m`, async (repoDir) => {
    await mkdir(join(repoDir, "blobs"), { recursive: true });
    await writeWeights(join(repoDir, "blobs", "weights"), mib * 2 ** 20);
    await mkdir(join(repoDir, "snapshots", COMMIT), { recursive: true });
    const { symlink } = await import("node:fs/promises");
    await symlink("../../blobs/weights", join(repoDir, "snapshots", COMMIT, "model.safetensors"));
  });
}
