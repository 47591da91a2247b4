import { createHash } from "node:crypto";
import { RegistryError } from "../errors.js";
import type { EmitFn } from "../events.js";
import type { ImageSource } from "../image/types.js";
import type { RegistryClient } from "./client.js";
import { header } from "./http.js";
import { type RetryContext, withRetry } from "./retry.js";

/**
 * The manifest goes last, once every blob it references exists. HEAD the tag first: when it already
 * names this digest the PUT is skipped, so re-pushing to an immutable tag is not an error.
 */

export interface PushManifestOptions {
  client: RegistryClient;
  image: ImageSource;
  tag: string;
  retry: RetryContext;
  emit: EmitFn;
}

const ACCEPT = [
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
];

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

export async function pushManifest(opts: PushManifestOptions): Promise<"put" | "skipped"> {
  const { client, image, tag, emit } = opts;
  const existing = await withRetry(() => tagDigest(client, tag, image.manifestMediaType), opts.retry);
  if (existing === image.manifestDigest) {
    emit({
      type: "step",
      message: `Tag ${tag} already points at ${image.manifestDigest}; manifest not re-sent`,
    });
    return "skipped";
  }
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
