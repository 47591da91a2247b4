import { afterAll, onTestFinished } from "vitest";
import { testEnv } from "./env.js";
import { tlsRequest } from "./registry.js";

/**
 * Tests remove what they push. Every repository name a test makes (`uniqueRepo`) is tracked here, and when the
 * test file ends each tag in it is deleted from both test registries: HEAD the tag for its digest, DELETE the
 * manifest (setup.sh enables deletes). Repository names are unique per run, so this never touches what other
 * test runs on the same registries pushed. Blobs go with the registry's garbage collection.
 */
const tracked = new Set<string>();

const ACCEPT = [
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
].join(", ");

export function trackRepository(name: string): string {
  tracked.add(name);
  return name;
}

interface Answer {
  status: number;
  digest: string | undefined;
  body: string;
}

type Send = (method: string, path: string) => Promise<Answer>;

const plain: Send = async (method, path) => {
  const res = await fetch(`http://${testEnv().registry}${path}`, {
    method,
    headers: { accept: ACCEPT },
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, digest: res.headers.get("docker-content-digest") ?? undefined, body: await res.text() };
};

const tls: Send = async (method, path) => {
  const res = await tlsRequest(path, { method, auth: true, headers: { accept: ACCEPT }, timeoutMs: 10_000 });
  const digest = res.headers["docker-content-digest"];
  return { status: res.status, digest: typeof digest === "string" ? digest : undefined, body: res.body.toString() };
};

/** Deletes every tagged manifest of `name` on one registry; returns how many were deleted. */
async function deleteTags(send: Send, name: string): Promise<number> {
  const list = await send("GET", `/v2/${name}/tags/list`);
  if (list.status !== 200) return 0;
  const tags = (JSON.parse(list.body) as { tags?: string[] | null }).tags ?? [];
  const digests = new Set<string>();
  for (const tag of tags) {
    const head = await send("HEAD", `/v2/${name}/manifests/${encodeURIComponent(tag)}`);
    if (head.status === 200 && head.digest) digests.add(head.digest);
  }
  let deleted = 0;
  for (const digest of digests) {
    const res = await send("DELETE", `/v2/${name}/manifests/${digest}`);
    if (res.status === 202) deleted += 1;
    else throw new Error(`DELETE ${name}@${digest} answered ${res.status}: ${res.body.slice(0, 200)}`);
  }
  return deleted;
}

/** Deletes the tagged manifests of the given repositories (default: every tracked one) on both registries. */
export async function deletePushed(names: Iterable<string> = tracked): Promise<number> {
  let deleted = 0;
  for (const name of [...names]) {
    for (const send of [plain, tls]) {
      // A registry that is not up had nothing pushed to it by this run.
      deleted += await deleteTags(send, name).catch((error: unknown) => {
        if (error instanceof Error && /DELETE/.test(error.message)) throw error;
        return 0;
      });
    }
    tracked.delete(name);
  }
  return deleted;
}

afterAll(async () => {
  if (tracked.size > 0) await deletePushed();
});

function statusOf(error: unknown): number | undefined {
  const code = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === "number" ? code : undefined;
}

/**
 * Removes image references a test created (`repo:tag` or `repo@digest`), never by image ID: an ID may carry
 * tags other tests or people made, and removing a reference only drops the image when it was the last one.
 */
export async function removeImageRefs(refs: Iterable<string>): Promise<void> {
  const { dockerClient } = await import("./docker.js");
  for (const ref of refs) {
    await dockerClient()
      .getImage(ref)
      .remove({ force: true })
      .catch((error: unknown) => {
        if (statusOf(error) !== 404) throw error;
      });
  }
}

/** References of every local image of `repository` (e.g. pulled by `docker build` from a pushed asset image). */
export async function localImageRefs(repository: string): Promise<string[]> {
  const { dockerClient } = await import("./docker.js");
  const images = await dockerClient().listImages({ filters: JSON.stringify({ reference: [repository] }) });
  const mine = (ref: string) => ref.startsWith(`${repository}:`) || ref.startsWith(`${repository}@`);
  return images.flatMap((i) => [...(i.RepoTags ?? []), ...(i.RepoDigests ?? [])].filter(mine));
}

/** Removes these references, and every local image of these repositories, when the running test finishes. */
export function removeImagesAfterTest(refs: readonly string[], repositories: readonly string[] = []): void {
  onTestFinished(async () => {
    const pulled = (await Promise.all(repositories.map(localImageRefs))).flat();
    await removeImageRefs([...refs, ...pulled]);
  });
}
