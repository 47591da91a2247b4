import { createHash } from "node:crypto";
import { RegistryError } from "../errors.js";
import type { EmitFn } from "../events.js";
import type { RegistryClient } from "./client.js";
import { header } from "./http.js";
import { MANIFEST_ACCEPT } from "./media-types.js";
import { type RetryContext, withRetry } from "./retry.js";

/**
 * The manifest goes last, once every blob it references exists. The tag is looked at first (one HEAD): when it
 * already names this digest there is nothing to push at all, and the PUT is skipped, so re-pushing to an
 * immutable tag is not an error; when the digest is there under another tag, its blobs are too.
 */

/** The manifest half of an image: its exact bytes, digest and media type. */
export interface ManifestBytes {
  manifest: Uint8Array;
  manifestDigest: string;
  manifestMediaType: string;
}

export interface PushManifestOptions {
  client: RegistryClient;
  image: ManifestBytes;
  tag: string;
  retry: RetryContext;
  emit: EmitFn;
}

const ACCEPT: readonly string[] = MANIFEST_ACCEPT;

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** The digest the tag currently points at, or undefined when the tag does not exist. */
export async function tagDigest(
  client: RegistryClient,
  tag: string,
  mediaType: string,
): Promise<string | undefined> {
  const target = `/v2/${client.repository}/manifests/${tag}`;
  const accept = [mediaType, ...ACCEPT.filter((m) => m !== mediaType)].join(", ");
  const head = await client.send({
    operation: "manifest-check",
    method: "HEAD",
    target,
    headers: { accept },
    expect: [200, 404],
  });
  if (head.status === 404) return undefined;
  const echoed = header(head, "docker-content-digest");
  if (echoed) return echoed;
  // Some registries (ECR at times) omit Docker-Content-Digest: hash the manifest bytes ourselves.
  const got = await client.send({
    operation: "manifest-get",
    method: "GET",
    target,
    headers: { accept },
    expect: [200, 404],
    maxBodyBytes: 8 * 1024 * 1024,
  });
  return got.status === 200 ? sha256(got.body) : undefined;
}

/** Where the registry stands: the tag already names the digest, the digest exists untagged, or neither. */
export async function manifestState(
  client: RegistryClient,
  image: ManifestBytes,
  tag: string,
  retry: RetryContext,
): Promise<"tagged" | "present" | "absent"> {
  const existing = await withRetry(() => tagDigest(client, tag, image.manifestMediaType), retry);
  if (existing === image.manifestDigest) return "tagged";
  const byDigest = await withRetry(
    () =>
      client.send({
        operation: "manifest-check",
        method: "HEAD",
        target: `/v2/${client.repository}/manifests/${image.manifestDigest}`,
        headers: { accept: image.manifestMediaType },
        expect: [200, 404],
      }),
    retry,
  );
  return byDigest.status === 200 ? "present" : "absent";
}

/** PUTs the manifest under `tag` and confirms the registry stored exactly these bytes. */
export async function pushManifest(opts: PushManifestOptions): Promise<"put"> {
  const { client, image, tag, emit } = opts;
  const res = await withRetry(
    () =>
      client.send({
        operation: "manifest-put",
        method: "PUT",
        target: `/v2/${client.repository}/manifests/${tag}`,
        // Content-Type must be the bare media type, without parameters.
        headers: { "content-type": image.manifestMediaType.split(";")[0]?.trim() ?? image.manifestMediaType },
        body: Buffer.from(image.manifest),
        expect: [200, 201, 202, 204],
      }),
    opts.retry,
  );
  const echoed = header(res, "docker-content-digest");
  if (echoed && echoed !== image.manifestDigest) {
    throw new RegistryError(
      `${client.host} stored the manifest as ${echoed}, expected ${image.manifestDigest}`,
      {
        registryCode: "DIGEST_INVALID",
        status: res.status,
        hint: "The registry rewrote the manifest; it may not support this manifest format.",
      },
    );
  }
  if (!echoed) {
    // ECR answers the manifest PUT without Location and sometimes without Docker-Content-Digest:
    // confirm the digest is resolvable instead of trusting the headers.
    await withRetry(
      () =>
        client.send({
          operation: "manifest-check",
          method: "HEAD",
          target: `/v2/${client.repository}/manifests/${image.manifestDigest}`,
          headers: { accept: image.manifestMediaType },
          expect: [200],
        }),
      opts.retry,
    );
  }
  emit({ type: "step", message: `Tagged ${tag} → ${image.manifestDigest}` });
  return "put";
}
