import { escapeName } from "../util/names.js";
import { formatBytes } from "../util/format-bytes.js";
import type { LayerScan } from "./layer-scan.js";
import { type Finding, LAMBDA_UNCOMPRESSED_LIMIT } from "./rules.js";

/** Pure: the findings a set of layer scans adds up to (paths escaped, at most a few listed per layer). */

const SHOWN = 5;

function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, "0")}`;
}

export function layerFindings(scans: readonly LayerScan[], limit = LAMBDA_UNCOMPRESSED_LIMIT): Finding[] {
  const findings: Finding[] = [];
  scans.forEach((scan, i) => {
    const layer = { index: i + 1, digest: scan.digest };
    const name = `layer ${i + 1} (${scan.digest})`;
    if (scan.error) {
      findings.push({ rule: "layer-format", severity: "error", layer, message: `${name} is ${scan.error}` });
    }
    for (const m of scan.missingParents.slice(0, SHOWN)) {
      findings.push({
        rule: "parent-directories",
        severity: "error",
        layer,
        path: m.path,
        message: `${name}: /${escapeName(m.path)} comes without an entry for its parent directory /${escapeName(m.parent)} before it (Lambda: MissingParentDirectory)`,
      });
    }
    const moreParents = scan.missingParentCount - Math.min(scan.missingParents.length, SHOWN);
    if (moreParents > 0) {
      findings.push({
        rule: "parent-directories",
        severity: "error",
        layer,
        message: `${name}: ${moreParents} more entries without their parent directory`,
      });
    }
    for (const u of scan.unreadable.slice(0, SHOWN)) {
      findings.push({
        rule: "readable-files",
        severity: "error",
        layer,
        path: u.path,
        message: `${name}: ${u.type} /${escapeName(u.path)} has mode ${octal(u.mode)}; Lambda's non-root user cannot ${u.type === "file" ? "read it" : "list or enter it"}`,
      });
    }
    const moreUnreadable = scan.unreadableCount - Math.min(scan.unreadable.length, SHOWN);
    if (moreUnreadable > 0) {
      findings.push({
        rule: "readable-files",
        severity: "error",
        layer,
        message: `${name}: ${moreUnreadable} more entries a non-root user cannot read`,
      });
    }
    if (scan.oversized) {
      findings.push({
        rule: "size-limit",
        severity: "error",
        layer,
        path: scan.oversized.path,
        message: `${name} declares /${escapeName(scan.oversized.path)} of ${formatBytes(scan.oversized.size)}: the image passes Lambda's ${formatBytes(limit)} uncompressed limit (SizeLimitExceeded)`,
      });
    }
  });
  const total = scans.reduce((n, s) => n + s.uncompressedBytes, 0);
  if (total > limit && !scans.some((s) => s.oversized)) {
    const biggest = scans
      .map((s, i) => ({ i, bytes: s.uncompressedBytes }))
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, 3)
      .map((b) => `layer ${b.i + 1}: ${formatBytes(b.bytes)}`);
    findings.push({
      rule: "size-limit",
      severity: "error",
      message: `the layers add up to ${formatBytes(total)} uncompressed, over Lambda's ${formatBytes(limit)} (largest: ${biggest.join(", ")})`,
    });
  }
  return findings;
}
