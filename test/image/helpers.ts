import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BuildImageOptions, ImageAsset } from "../../src/image/build-image.js";
import { layerEntries } from "../../src/image/layer-entries.js";
import { newTally, TreeView } from "../../src/image/tree-walk.js";

/** A fresh temp dir, removed by the returned cleanup. */
export function tempDir(prefix = "mlpack-image-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function write(path: string, data: string | Buffer, mode = 0o644): void {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, data, { mode });
}

/** Deterministic pseudo-random bytes (so "random" content is the same in every copy of a fixture). */
export function pseudoRandom(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeUInt32LE(x >>> 0, Math.min(i, size - 4));
  }
  return out;
}

/**
 * Stages a Hugging Face-like cache and an nltk tree under `root`. `reverse` creates entries in the
 * opposite order, to prove the image does not depend on directory creation order.
 */
export function stageFixture(root: string, options: { reverse?: boolean } = {}): ImageAsset[] {
  const hf = join(root, "huggingface");
  const nltk = join(root, "nltk");
  const repos = ["models--org--alpha", "models--org--beta", "datasets--org--gamma"];
  const ordered = options.reverse ? [...repos].reverse() : repos;
  for (const repo of ordered) {
    const base = join(hf, "hub", repo);
    const blob = `${repo.length.toString(16)}${"ab".repeat(31)}`;
    write(join(base, "blobs", blob), pseudoRandom(200_000 + repo.length, repo.length));
    write(join(base, "blobs", "cfg0001"), `{"model":"${repo}"}\n`);
    write(join(base, "refs", "main"), "0123456789abcdef0123456789abcdef01234567");
    mkdirSync(join(base, "snapshots", "0123456789abcdef"), { recursive: true });
    symlinkSync(`../../blobs/${blob}`, join(base, "snapshots", "0123456789abcdef", "model.safetensors"));
    symlinkSync("../../blobs/cfg0001", join(base, "snapshots", "0123456789abcdef", "config.json"));
  }
  write(join(hf, "version.txt"), "1\n");
  write(join(hf, "hub", "version.txt"), "1\n");
  write(join(nltk, "tokenizers", "punkt", "english.pickle"), "x".repeat(50_000), 0o600);
  write(join(nltk, "bin", "tool.sh"), "#!/bin/sh\necho hi\n", 0o750);
  write(join(nltk, "corpora", "words.txt"), "alpha\nbeta\ngamma\n".repeat(1000));
  mkdirSync(join(nltk, "corpora", "empty"), { recursive: true });
  return [
    { id: "huggingface", target: "huggingface", dir: hf, layering: "hf-repos" },
    { id: "nltk", target: "nltk_data", dir: nltk, layering: "single" },
  ];
}

export interface TreeRecord {
  type: "file" | "dir" | "symlink";
  mode?: number;
  content?: string;
}

/**
 * A comparable picture of a tree: path → type, normalised permission bits and content hash / link target.
 * Modes are normalised the way the image normalises them (0644, 0755 when any exec bit).
 */
export function treeRecords(dir: string, normaliseModes = true): Map<string, TreeRecord> {
  const out = new Map<string, TreeRecord>();
  const walk = (rel: string) => {
    for (const name of readdirSync(rel === "" ? dir : join(dir, rel)).sort()) {
      const path = rel === "" ? name : `${rel}/${name}`;
      const st = lstatSync(join(dir, path));
      const bits = st.mode & 0o7777;
      const mode = normaliseModes ? (st.isDirectory() || bits & 0o111 ? 0o755 : 0o644) : bits;
      if (st.isSymbolicLink()) out.set(path, { type: "symlink", content: readlinkSync(join(dir, path)) });
      else if (st.isDirectory()) {
        out.set(path, { type: "dir", mode });
        walk(path);
      } else if (st.isFile()) {
        const content = createHash("sha256")
          .update(readFileSync(join(dir, path)))
          .digest("hex");
        out.set(path, { type: "file", mode, content });
      }
    }
  };
  walk("");
  return out;
}

/** Every blob file in a layout, name → sha256 of content. */
export function blobHashes(layoutDir: string): Record<string, string> {
  const dir = join(layoutDir, "blobs", "sha256");
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) {
    out[name] = createHash("sha256")
      .update(readFileSync(join(dir, name)))
      .digest("hex");
  }
  return out;
}

/** Whether `docker` can reach an engine; in CI an unreachable engine is a failure, not a skip. */
export function dockerReachable(): boolean {
  const ok = spawnSync("docker", ["info"], { stdio: "ignore", timeout: 20_000 }).status === 0;
  if (!ok && process.env.CI === "true") throw new Error("docker is not reachable but CI=true");
  return ok;
}

/** The busybox base image the docker tests build on, imported from busybox-static when missing. */
export function ensureBusyboxImage(): string {
  const tag = "mlpack-test/busybox:latest";
  if (spawnSync("docker", ["image", "inspect", tag], { stdio: "ignore" }).status === 0) return tag;
  const { dir, cleanup } = tempDir("mlpack-busybox-");
  try {
    mkdirSync(join(dir, "bin"));
    execFileSync("cp", ["/bin/busybox", join(dir, "bin", "busybox")]);
    for (const tool of ["sh", "ls", "cat", "readlink", "find", "stat", "sha256sum"]) {
      symlinkSync("busybox", join(dir, "bin", tool));
    }
    execFileSync("sh", ["-c", `tar -C '${dir}' -c . | docker import - ${tag}`], { stdio: "ignore" });
  } finally {
    cleanup();
  }
  return tag;
}

/** What the image's /cache should hold: each staged tree under cache/<target>, modes normalised. */
export function expectedRootfs(stagedAssets: ReturnType<typeof stageFixture>): Map<string, TreeRecord> {
  const expected = new Map<string, TreeRecord>([["cache", { type: "dir", mode: 0o755 }]]);
  for (const asset of stagedAssets) {
    expected.set(`cache/${asset.target}`, { type: "dir", mode: 0o755 });
    for (const [rel, record] of treeRecords(asset.dir)) expected.set(`cache/${asset.target}/${rel}`, record);
  }
  return new Map([...expected].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The streamed entries of a one-part layer of `dir` (walked, not read: files carry size -1), and its tally. */
export function walkedLayer(dir: string, target = "h", assetRoot = "/cache", part?: { include: string | null; exclude: string[] }) {
  const tally = newTally("h", dir);
  const view = new TreeView(tally.dir);
  const plan = { titles: [target], parts: [{ assetId: "h", include: part?.include ?? null, exclude: part?.exclude ?? [] }], bytes: 0 };
  const entries = [...layerEntries(plan, new Map([["h", { id: "h", target, tally, view }]]), assetRoot)];
  return { entries, tally, view };
}

/** Options for building one single-layer asset `id` from `dir` into `layoutDir`; `extra` overrides any field. */
export function singleAssetOptions(
  dir: string,
  layoutDir: string,
  extra: Partial<BuildImageOptions> & { id?: string } = {},
): BuildImageOptions {
  const { id = "x", ...rest } = extra;
  return {
    assets: [{ id, target: id, dir, layering: "single" }],
    assetRoot: "/cache",
    compression: "auto",
    platform: "linux/amd64",
    sourceDateEpoch: 0,
    labels: {},
    layoutDir,
    ...rest,
  };
}
