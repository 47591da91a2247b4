import {
  bareType,
  type Descriptor,
  familyOf,
  type ImageIndex,
  type ImageManifest,
  layerCompression,
} from "../registry/media-types.js";
import { formatBytes } from "../util/format-bytes.js";
import {
  type Finding,
  LAMBDA_ARCHITECTURES,
  MANIFEST_SIZE_ADVICE,
  MANIFEST_SIZE_MAX,
} from "./rules.js";

/** Pure checks on the manifest and config: everything Lambda refuses before it looks inside a layer. */

export function checkIndex(index: ImageIndex, mediaType: string): Finding[] {
  const platforms = (index.manifests ?? []).map((m) =>
    [m.platform?.os, m.platform?.architecture, m.platform?.variant].filter(Boolean).join("/") || "unknown",
  );
  return [
    {
      rule: "single-platform",
      severity: "error",
      message: `the reference names an index (${bareType(mediaType)}) of ${platforms.length} manifests (${platforms.join(", ")}); Lambda needs a single image manifest: push one platform (docker build --provenance=false --sbom=false, or mlpack assemble --platform)`,
    },
  ];
}

function layerRef(i: number, layer: Descriptor) {
  return { index: i + 1, digest: layer.digest };
}

export function checkManifest(
  manifest: ImageManifest,
  mediaType: string,
  size: number,
  config: { os?: unknown; architecture?: unknown },
): Finding[] {
  const findings: Finding[] = [];
  const family = familyOf(mediaType);
  const layers = Array.isArray(manifest.layers) ? manifest.layers : [];
  if (family === undefined) {
    findings.push({
      rule: "media-type-family",
      severity: "error",
      message: `the manifest type ${bareType(mediaType)} is neither Docker v2s2 nor OCI`,
    });
  } else {
    const configFamily = familyOf(manifest.config?.mediaType);
    if (configFamily !== family) {
      findings.push({
        rule: "media-type-family",
        severity: "error",
        message: `the config has media type ${manifest.config?.mediaType ?? "(none)"} under a ${family === "oci" ? "OCI" : "Docker v2s2"} manifest`,
      });
    }
    layers.forEach((layer, i) => {
      if (familyOf(layer.mediaType) !== family) {
        findings.push({
          rule: "media-type-family",
          severity: "error",
          layer: layerRef(i, layer),
          message: `layer ${i + 1} (${layer.digest}) has media type ${layer.mediaType} under a ${family === "oci" ? "OCI" : "Docker v2s2"} manifest`,
        });
      }
    });
  }
  if (family === "docker") {
    layers.forEach((layer, i) => {
      const compression = layerCompression(layer.mediaType);
      if (compression !== "gzip") {
        findings.push({
          rule: "gzip-under-docker",
          severity: "error",
          layer: layerRef(i, layer),
          message: `layer ${i + 1} (${layer.digest}) is ${compression === "none" ? "an uncompressed tar" : compression === "zstd" ? "zstd-compressed" : `of type ${layer.mediaType}`} under a Docker v2s2 manifest; Lambda refuses it (UnsupportedImageLayerDetected)`,
        });
      }
    });
  }
  const os = typeof config.os === "string" ? config.os : "(none)";
  const arch = typeof config.architecture === "string" ? config.architecture : "(none)";
  if (os !== "linux" || !(LAMBDA_ARCHITECTURES as readonly string[]).includes(arch)) {
    findings.push({
      rule: "platform",
      severity: "error",
      message: `the image is for ${os}/${arch}; Lambda runs linux/amd64 (x86_64) or linux/arm64`,
    });
  }
  if (size > MANIFEST_SIZE_MAX) {
    findings.push({
      rule: "manifest-size",
      severity: "error",
      message: `the manifest is ${formatBytes(size)}; ECR takes at most ${formatBytes(MANIFEST_SIZE_MAX)}`,
    });
  } else if (size > MANIFEST_SIZE_ADVICE) {
    findings.push({
      rule: "manifest-size",
      severity: "warning",
      message: `the manifest is ${size} bytes (${layers.length} layers); Lambda advises under ${MANIFEST_SIZE_ADVICE} bytes: fewer layers, fewer annotations`,
    });
  }
  return findings;
}
