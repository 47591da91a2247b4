import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../util/atomic-write.js";
import { canonicalJson } from "../util/canonical-json.js";
import { TEMP_BLOB_PREFIX } from "./blob-sink.js";
import { MediaType } from "./types.js";

export const OCI_LAYOUT_FILE = '{"imageLayoutVersion":"1.0.0"}';
export const REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name";

export interface ManifestDescriptor {
  digest: string;
  size: number;
}

/**
 * Makes `dir` an OCI layout ready for new blobs: writes `oci-layout` and deletes temp files an interrupted
 * run left. An existing `index.json` and its blobs stay untouched, so until the new index lands a reader
 * still sees the previous complete image.
 */
export async function prepareLayout(dir: string): Promise<void> {
  await writeFileAtomic(join(dir, "oci-layout"), OCI_LAYOUT_FILE);
  await removeTemps(dir, (name) => /^\.index\.json\.[0-9a-f]+\.tmp$/.test(name));
  await removeTemps(join(dir, "blobs", "sha256"), (name) => name.startsWith(TEMP_BLOB_PREFIX));
}

async function removeTemps(dir: string, isTemp: (name: string) => boolean): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  await Promise.all(names.filter(isTemp).map((name) => rm(join(dir, name), { force: true })));
}

/** The index.json bytes pointing at one manifest, tagged when a tag is given. */
export function indexJson(manifest: ManifestDescriptor, tag?: string): string {
  const descriptor: Record<string, unknown> = {
    mediaType: MediaType.manifest,
    digest: manifest.digest,
    size: manifest.size,
  };
  if (tag !== undefined) descriptor.annotations = { [REF_NAME_ANNOTATION]: tag };
  return canonicalJson({ schemaVersion: 2, mediaType: MediaType.index, manifests: [descriptor] });
}

/**
 * Publishes the image: index.json is written last and atomically, after every blob it names is in place,
 * which is the single moment the layout switches from the old image to the new one.
 */
export async function commitIndex(dir: string, manifest: ManifestDescriptor, tag?: string): Promise<void> {
  await writeFileAtomic(join(dir, "index.json"), indexJson(manifest, tag));
}

/** Deletes blobs the current image no longer references, so repeated bundles do not pile up gigabytes. */
export async function removeUnreferencedBlobs(dir: string, keep: ReadonlySet<string>): Promise<void> {
  const blobsDir = join(dir, "blobs", "sha256");
  const hexes = new Set([...keep].map((digest) => digest.replace(/^sha256:/, "")));
  await removeTemps(blobsDir, (name) => /^[0-9a-f]{64}$/.test(name) && !hexes.has(name));
}
