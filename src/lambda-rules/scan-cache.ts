import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../util/atomic-write.js";
import { type LayerScan, SCAN_VERSION } from "./layer-scan.js";

/**
 * Layer scans by digest: a layer's bytes never change under its digest, so its scan (for one set of roots and
 * one size limit) is valid forever. Kept in the project's `.mlpack/cache/layer-scans/`, so checking an image
 * whose asset layers were checked before reads only its new layers. A damaged entry is simply a miss.
 */
export class ScanCache {
  constructor(private readonly dir: string) {}

  private file(digest: string, key: string): string {
    const variant = createHash("sha256").update(`${SCAN_VERSION}\n${key}`).digest("hex").slice(0, 12);
    return join(this.dir, `${digest.slice("sha256:".length)}-${variant}.json`);
  }

  async get(digest: string, key: string): Promise<LayerScan | undefined> {
    try {
      const scan = JSON.parse(await readFile(this.file(digest, key), "utf8")) as LayerScan;
      return scan.version === SCAN_VERSION && scan.digest === digest && scan.complete ? scan : undefined;
    } catch {
      return undefined;
    }
  }

  /** Only complete scans are kept: a stopped or failed one says nothing final about the layer. */
  async set(scan: LayerScan, key: string): Promise<void> {
    if (!scan.complete) return;
    await writeFileAtomic(this.file(scan.digest, key), JSON.stringify(scan)).catch(() => {});
  }
}
