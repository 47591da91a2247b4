import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { UsageError } from "../errors.js";
import { MLPACK_IMAGE_ANNOTATION, REF_NAME_ANNOTATION } from "./layout-writer.js";
import type { Blob, ImageSource } from "./types.js";

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

const HINT = "Run mlpack bundle to (re)build the image layout.";
const DIGEST = /^sha256:[0-9a-f]{64}$/;

function invalid(dir: string, why: string, cause?: unknown): UsageError {
  return new UsageError(`${dir} is not a complete mlpack image layout: ${why}`, {
    code: "E_LAYOUT_INVALID",
    hint: HINT,
    cause,
  });
}

function asDescriptor(value: unknown, what: string, dir: string): Descriptor {
  const d = value as Partial<Descriptor> | null;
  if (!d || typeof d.digest !== "string" || !DIGEST.test(d.digest) || typeof d.size !== "number") {
    throw invalid(dir, `${what} descriptor is malformed`);
  }
  return { mediaType: String(d.mediaType ?? ""), digest: d.digest, size: d.size, annotations: d.annotations };
}

function blobPath(dir: string, digest: string): string {
  return join(dir, "blobs", "sha256", digest.slice("sha256:".length));
}

async function readVerified(dir: string, d: Descriptor, what: string): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await readFile(blobPath(dir, d.digest));
  } catch (cause) {
    throw invalid(dir, `${what} blob ${d.digest} is missing`, cause);
  }
  const actual = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
  if (bytes.length !== d.size || actual !== d.digest)
    throw invalid(dir, `${what} blob ${d.digest} is corrupt`);
  return bytes;
}

async function checkedBlob(dir: string, d: Descriptor, what: string): Promise<Blob> {
  const path = blobPath(dir, d.digest);
  const size = await stat(path).then(
    (s) => s.size,
    () => -1,
  );
  if (size < 0) throw invalid(dir, `${what} blob ${d.digest} is missing`);
  if (size !== d.size) throw invalid(dir, `${what} blob ${d.digest} has ${size} bytes, expected ${d.size}`);
  return { digest: d.digest, size: d.size, mediaType: d.mediaType, open: () => createReadStream(path) };
}

function parseJson(bytes: Buffer | string, dir: string, what: string): Record<string, unknown> {
  try {
    return JSON.parse(bytes.toString()) as Record<string, unknown>;
  } catch (cause) {
    throw invalid(dir, `${what} is not valid JSON`, cause);
  }
}

/**
 * Opens the image in an OCI layout written by mlpack (or anyone). Checks what a later push or load relies
 * on: index.json present, manifest and config intact (hashed; they are small), every layer present with
 * the right size (not hashed: that would read gigabytes; blobs only appear under their digest by rename).
 * With `ref`, picks the manifest tagged `org.opencontainers.image.ref.name` = ref; without, mlpack's own.
 */
export async function openLayout(dir: string, ref?: string): Promise<ImageSource> {
  const layoutFile = await readFile(join(dir, "oci-layout"), "utf8").catch(() => null);
  if (layoutFile === null || !layoutFile.includes("imageLayoutVersion")) {
    throw invalid(dir, "oci-layout is missing (not an OCI image layout)");
  }
  let indexText: string;
  try {
    indexText = await readFile(join(dir, "index.json"), "utf8");
  } catch (cause) {
    throw invalid(dir, "index.json is missing (no image was completed here)", cause);
  }
  const index = parseJson(indexText, dir, "index.json");
  const manifests = Array.isArray(index.manifests) ? (index.manifests as unknown[]) : [];
  // Without a ref: the last mlpack entry (the image the last bundle wrote; a shared layout may list other
  // images first), else the first entry.
  const picked =
    ref === undefined
      ? (manifests.findLast((m) => (m as Descriptor | null)?.annotations?.[MLPACK_IMAGE_ANNOTATION] === "true") ??
        manifests[0])
      : manifests.find((m) => (m as Descriptor | null)?.annotations?.[REF_NAME_ANNOTATION] === ref);
  if (picked === undefined)
    throw invalid(dir, ref === undefined ? "index.json lists no image" : `no image tagged ${ref}`);
  const manifestDescriptor = asDescriptor(picked, "manifest", dir);
  const manifestBytes = await readVerified(dir, manifestDescriptor, "manifest");
  const manifest = parseJson(manifestBytes, dir, "manifest");
  const configDescriptor = asDescriptor(manifest.config, "config", dir);
  await readVerified(dir, configDescriptor, "config");
  const layerList = Array.isArray(manifest.layers) ? (manifest.layers as unknown[]) : [];
  const layers: Blob[] = [];
  for (const [i, layer] of layerList.entries()) {
    layers.push(await checkedBlob(dir, asDescriptor(layer, `layer ${i}`, dir), `layer ${i}`));
  }
  return {
    manifest: manifestBytes,
    manifestDigest: manifestDescriptor.digest,
    manifestMediaType: String(manifest.mediaType ?? manifestDescriptor.mediaType),
    config: await checkedBlob(dir, configDescriptor, "config"),
    layers,
  };
}
