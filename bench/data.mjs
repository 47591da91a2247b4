// Generates the benchmark data set (no network) and stages it as a real mlpack project.
//
// Layout under bench/data/ (git-ignored):
//   src/hub/models--mlpack-bench--weights-2g/   a real HF hub cache repo: blobs/<sha256>, snapshots/<commit>/* symlinks, refs/main
//   src/hub/datasets--mlpack-bench--text-20k/  ~20k small text files (blobs named by git sha1, like non-LFS HF files)
//   src/small-v<N>/models--mlpack-bench--small/  a small repo in several variants (the "one small asset changed" case)
//   project/                                    the mlpack project: mlpack.lock.json + .mlpack/assets, written by a real
//                                               `mlpack discover --runner local -- sh bench/copy-cache.sh <src> <variant>`
// The source cache is generated once (deterministic bytes: AES-256-CTR keystream for the weights, a seeded word
// generator for the text) and reused while its marker matches SPEC; discover is re-run only when the staged
// variant differs from the one requested.
import { createCipheriv, createHash } from "node:crypto";
import { once } from "node:events";
import { createWriteStream, existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, symlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { BENCH_DIR, DATA_DIR, MLPACK, run } from "./measure.mjs";

export const SPEC = {
  version: 1,
  weightsBytes: Number(process.env.MLPACK_BENCH_WEIGHTS_MIB ?? 2048) * 1024 ** 2,
  textFiles: Number(process.env.MLPACK_BENCH_TEXT_FILES ?? 20_000),
  textAvgBytes: 5_000,
  smallVariants: 4,
};
export const SRC = join(DATA_DIR, "src");
export const PROJECT = join(DATA_DIR, "project");
const COMMIT = "0123456789abcdef0123456789abcdef01234567";

function gitBlobSha1(buf) {
  return createHash("sha1").update(`blob ${buf.length}\0`).update(buf).digest("hex");
}

/** Writes one HF hub repo: blobs/<name>, snapshots/<COMMIT>/<file> -> ../../blobs/<name>, refs/main. */
async function hfRepo(repoDir, files) {
  for (const { name, blob, write } of files) {
    const blobPath = join(repoDir, "blobs", blob);
    await mkdir(dirname(blobPath), { recursive: true });
    await write(blobPath);
    const link = join(repoDir, "snapshots", COMMIT, name);
    await mkdir(dirname(link), { recursive: true });
    const depth = name.split("/").length + 1;
    await symlink(`${"../".repeat(depth)}blobs/${blob}`, link);
  }
  await mkdir(join(repoDir, "refs"), { recursive: true });
  await writeFile(join(repoDir, "refs", "main"), COMMIT); // byte for byte: no trailing newline
}

/** 2 GiB of incompressible, deterministic bytes (AES-CTR keystream), hashed while written. */
async function writeWeights(path, bytes) {
  const cipher = createCipheriv("aes-256-ctr", Buffer.alloc(32, 7), Buffer.alloc(16, 0));
  const zero = Buffer.alloc(8 * 1024 * 1024);
  const hash = createHash("sha256");
  const out = createWriteStream(path);
  for (let left = bytes; left > 0; left -= zero.length) {
    const chunk = cipher.update(left >= zero.length ? zero : zero.subarray(0, left));
    hash.update(chunk);
    if (!out.write(chunk)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
  return hash.digest("hex");
}

const WORDS =
  "the model token layer weight attention vector embedding corpus train eval batch loss gradient head sequence data text query answer context label split shard cache hub".split(
    " ",
  );
function textDoc(i) {
  let x = (i * 2654435761) >>> 0;
  const parts = [`# document ${i}\n`];
  let len = parts[0].length;
  const target = 1000 + ((i * 7919) % (2 * SPEC.textAvgBytes - 2000)); // uniform 1 KB .. ~9 KB, mean ~5 KB
  while (len < target) {
    x = (x * 1103515245 + 12345) >>> 0;
    const w = WORDS[x % WORDS.length] + (x % 11 === 0 ? ".\n" : " ");
    parts.push(w);
    len += w.length;
  }
  return Buffer.from(parts.join(""));
}

async function generateSource() {
  await rm(SRC, { recursive: true, force: true });
  const hub = join(SRC, "hub");
  const t0 = Date.now();
  // Weights repo: the blob file name is its sha256 (LFS), so write to a temp name and rename via hfRepo's writer.
  const weightsRepo = join(hub, "models--mlpack-bench--weights-2g");
  await mkdir(join(weightsRepo, "blobs"), { recursive: true });
  const tmp = join(weightsRepo, "blobs", "incoming");
  const sha = await writeWeights(tmp, SPEC.weightsBytes);
  const config = Buffer.from(JSON.stringify({ architectures: ["BenchModel"], hidden_size: 4096 }, null, 2));
  await hfRepo(weightsRepo, [
    { name: "model.safetensors", blob: sha, write: (p) => rename(tmp, p) },
    { name: "config.json", blob: gitBlobSha1(config), write: (p) => writeFile(p, config) },
  ]);
  process.stderr.write(
    `[data] weights ${SPEC.weightsBytes} B in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
  );

  const textFiles = [];
  for (let i = 0; i < SPEC.textFiles; i++) {
    const buf = textDoc(i);
    const shard = String(Math.floor(i / 200)).padStart(3, "0");
    textFiles.push({
      name: `data/shard-${shard}/doc-${String(i).padStart(5, "0")}.txt`,
      blob: gitBlobSha1(buf),
      write: (p) => writeFile(p, buf),
    });
  }
  await hfRepo(join(hub, "datasets--mlpack-bench--text-20k"), textFiles);

  for (let v = 1; v <= SPEC.smallVariants; v++) {
    const cfg = Buffer.from(JSON.stringify({ variant: v, vocab_size: 32000 + v }, null, 2));
    const vocab = Buffer.from(Array.from({ length: 4000 }, (_, i) => `tok${i}`).join("\n"));
    await hfRepo(join(SRC, `small-v${v}`, "models--mlpack-bench--small"), [
      { name: "config.json", blob: gitBlobSha1(cfg), write: (p) => writeFile(p, cfg) },
      { name: "vocab.txt", blob: gitBlobSha1(vocab), write: (p) => writeFile(p, vocab) },
    ]);
  }
  await writeFile(join(SRC, ".complete"), JSON.stringify(SPEC));
  process.stderr.write(`[data] source cache generated in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}

async function readJson(path) {
  try {
    return JSON.parse(await readFile(path, "utf8"));
  } catch {
    return null;
  }
}

/** Runs the real discover so the project (lock + staging) holds `variant` of the small repo. Returns the run. */
export async function stageProject(variant) {
  const marker = join(PROJECT, ".bench-staged");
  const prev = await readJson(marker);
  if (
    prev &&
    prev.variant === variant &&
    prev.spec === SPEC.version &&
    existsSync(join(PROJECT, "mlpack.lock.json"))
  )
    return null;
  await rm(marker, { force: true });
  await mkdir(PROJECT, { recursive: true });
  const r = await run([
    MLPACK,
    "-C",
    PROJECT,
    "--json",
    "--no-progress",
    "discover",
    "--runner",
    "local",
    "--",
    "sh",
    join(BENCH_DIR, "copy-cache.sh"),
    SRC,
    String(variant),
  ]);
  if (r.code !== 0) throw new Error(`discover failed (${r.code}): ${r.stderr.slice(-2000)}`);
  await writeFile(marker, JSON.stringify({ variant, spec: SPEC.version }));
  return r;
}

/** Makes sure the source cache exists (generated once) and the project is staged with variant 1. */
export async function ensureData() {
  const done = await readJson(join(SRC, ".complete"));
  if (!done || JSON.stringify(done) !== JSON.stringify(SPEC)) {
    await rm(PROJECT, { recursive: true, force: true });
    await generateSource();
  } else process.stderr.write("[data] reusing bench/data/src\n");
  const r = await stageProject(1);
  if (r)
    process.stderr.write(
      `[data] discover (2 GiB + 20k files, incl. the cp into the temp HOME): ${r.seconds.toFixed(1)} s\n`,
    );
  return { discoverSeconds: r?.seconds ?? null };
}
