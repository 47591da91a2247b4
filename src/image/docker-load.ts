import { Readable } from "node:stream";
import { UsageError } from "../errors.js";
import { canonicalJson } from "../util/canonical-json.js";
import { OCI_LAYOUT_FILE, REF_NAME_ANNOTATION } from "./layout-writer.js";
import { type TarEntry, tarStream } from "./tar-entries.js";
import type { Blob, ImageSource } from "./types.js";

export interface ImageReference {
  /** Repository as the user wrote it, e.g. "mlpack-assets" or "localhost:5000/team/assets". */
  repository: string;
  tag: string;
}

/** Splits "repo[:tag]" (a registry port is not a tag); digest references cannot be loaded under a name. */
export function parseImageReference(ref: string): ImageReference {
  if (ref.includes("@") || ref.trim() === "") {
    throw new UsageError(`cannot load an image as "${ref}"`, { hint: "Use a tag like mlpack-assets:dev." });
  }
  const colon = ref.lastIndexOf(":");
  if (colon > ref.lastIndexOf("/")) return { repository: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repository: ref, tag: "latest" };
}

/** The fully qualified name containerd stores ("docker.io/library/x:tag" for a bare "x:tag"). */
export function containerdImageName(ref: ImageReference): string {
  const [first = "", ...rest] = ref.repository.split("/");
  const hasRegistry =
    rest.length > 0 && (first.includes(".") || first.includes(":") || first === "localhost");
  const path = hasRegistry
    ? ref.repository
    : `docker.io/${rest.length === 0 ? `library/${first}` : ref.repository}`;
  return `${path}:${ref.tag}`;
}

function bytesEntry(name: string, text: string): TarEntry {
  const bytes = Buffer.from(text);
  return { name, type: "file", mode: 0o644, size: bytes.length, open: () => Readable.from([bytes]) };
}

function blobEntry(blob: Blob): TarEntry {
  const name = `blobs/sha256/${blob.digest.slice("sha256:".length)}`;
  return { name, type: "file", mode: 0o644, size: blob.size, open: () => blob.open() };
}

/**
 * A `docker load` tarball holding the OCI layout (oci-layout, index.json, blobs) and a Docker manifest.json
 * whose paths point into the same blobs. Docker's graphdriver loader (20.10–28) needs manifest.json; the
 * containerd store prefers the OCI layout (reference §1.6). Blobs are piped from `source`, never buffered.
 */
export function dockerLoadStream(source: ImageSource, tag: string): Readable {
  const ref = parseImageReference(tag);
  const repoTag = `${ref.repository}:${ref.tag}`;
  const blobs = new Map<string, Blob>();
  const manifestBlob: Blob = {
    digest: source.manifestDigest,
    size: source.manifest.length,
    mediaType: source.manifestMediaType,
    open: () => Readable.from([Buffer.from(source.manifest)]),
  };
  for (const blob of [manifestBlob, source.config, ...source.layers]) blobs.set(blob.digest, blob);
  const index = canonicalJson({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [
      {
        mediaType: source.manifestMediaType,
        digest: source.manifestDigest,
        size: source.manifest.length,
        annotations: { "io.containerd.image.name": containerdImageName(ref), [REF_NAME_ANNOTATION]: ref.tag },
      },
    ],
  });
  const dockerManifest = JSON.stringify([
    {
      Config: `blobs/sha256/${source.config.digest.slice("sha256:".length)}`,
      RepoTags: [repoTag],
      Layers: source.layers.map((l) => `blobs/sha256/${l.digest.slice("sha256:".length)}`),
    },
  ]);
  const repositories = JSON.stringify({ [ref.repository]: { [ref.tag]: source.config.digest.slice(7) } });
  const entries: TarEntry[] = [
    { name: "blobs", type: "dir", mode: 0o755, size: 0 },
    { name: "blobs/sha256", type: "dir", mode: 0o755, size: 0 },
    ...[...blobs.values()].sort((a, b) => (a.digest < b.digest ? -1 : 1)).map(blobEntry),
    bytesEntry("index.json", index),
    bytesEntry("manifest.json", dockerManifest),
    bytesEntry("oci-layout", OCI_LAYOUT_FILE),
    bytesEntry("repositories", repositories),
  ];
  return Readable.from(tarStream(entries, { mtime: 0 }), { objectMode: false });
}
