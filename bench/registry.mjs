// The local test registry (127.0.0.1:5000, storage on disk, delete enabled): fresh repository names, and the
// clean-up of everything the bench pushed (its repositories and the large blobs only it uploaded).
import { existsSync } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";

export const REGISTRY = process.env.MLPACK_BENCH_REGISTRY ?? "127.0.0.1:5000";
const STORAGE =
  process.env.MLPACK_BENCH_REGISTRY_STORAGE ?? "/var/tmp/mlpack-ci/registry-plain/data/docker/registry/v2";
export const NAMESPACE = "mlpack-bench";
const stamp = Date.now().toString(36);
let seq = 0;
const pushedBlobs = new Set();

/** A repository name no earlier run used. */
export const freshRepo = (kind) => `${NAMESPACE}/${kind}-${stamp}-${++seq}`;

/** Remembers large blobs the bench uploaded so cleanUp can free their storage. */
export function rememberBlobs(blobs) {
  for (const b of blobs) if (b.size > 1024 * 1024) pushedBlobs.add(b.digest);
}

/** Layer digests and sizes of repo:tag, read from the registry (Docker or OCI manifest). */
export async function manifestLayers(repo, tag) {
  const res = await fetch(`http://${REGISTRY}/v2/${repo}/manifests/${tag}`, {
    headers: {
      Accept:
        "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json",
    },
  });
  if (!res.ok) throw new Error(`GET manifest ${repo}:${tag}: ${res.status}`);
  const m = await res.json();
  return m.layers.map((l) => ({ digest: l.digest, size: l.size }));
}

/**
 * Removes the bench's own earlier repositories (name prefix) from registry storage. Used before each `docker push`: Docker
 * remembers which repositories already hold a layer and would cross-repository-mount it instead of uploading,
 * which would turn "push to a fresh repository" into a no-op for Docker but not for mlpack (which never mounts
 * without being told a source). Returns whether storage was reachable.
 */
export async function forgetRepos(prefix = "") {
  const dir = join(STORAGE, "repositories", NAMESPACE);
  if (!existsSync(join(STORAGE, "repositories"))) return false;
  if (!existsSync(dir)) return true;
  for (const name of await readdir(dir))
    if (name.startsWith(prefix)) await rm(join(dir, name), { recursive: true, force: true });
  return true;
}

/** Deletes the bench's repositories and the large blobs only it uploaded (random/generated content). */
export async function cleanUpRegistry() {
  const ok = await forgetRepos();
  await rm(join(STORAGE, "repositories", NAMESPACE), { recursive: true, force: true });
  if (!ok) return { repos: false, blobs: 0 };
  let blobs = 0;
  for (const digest of pushedBlobs) {
    const hex = digest.slice("sha256:".length);
    const dir = join(STORAGE, "blobs", "sha256", hex.slice(0, 2), hex);
    if (existsSync(dir)) {
      await rm(dir, { recursive: true, force: true });
      blobs++;
    }
  }
  return { repos: true, blobs, left: (await readdir(join(STORAGE, "repositories"))).includes(NAMESPACE) };
}
