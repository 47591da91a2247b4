import { join, resolve } from "node:path";
import { type BundleResult, bundle, sourceDateEpoch } from "../../bundle/bundle.js";
import type { Compression, Platform } from "../../image/index.js";
import { LOCK_FILE, readLock } from "../../lock/lock.js";
import { updateState } from "../../state/state.js";
import { formatBytes, formatTable } from "../format.js";
import type { CommandContext } from "./index.js";

/** `mlpack-assets:<12 hex of the manifest digest>`: a stable, content-derived default tag. */
export function defaultLoadTag(manifestDigest: string): string {
  return `mlpack-assets:${manifestDigest.slice("sha256:".length, "sha256:".length + 12)}`;
}

export async function runBundle(ctx: CommandContext): Promise<void> {
  const s = ctx.settings;
  const lock = await readLock(join(ctx.cwd, LOCK_FILE));
  const layoutDir = resolve(ctx.cwd, s.layout as string);
  const assetRoot = s.assetRoot as string;
  const result = await bundle(
    {
      lock,
      projectDir: ctx.cwd,
      layoutDir,
      assetRoot,
      compression: s.compression as Compression,
      platform: s.platform as Platform,
      sourceDateEpoch: sourceDateEpoch(ctx.env),
      version: ctx.version,
      ...(typeof s.tag === "string" ? { tag: s.tag } : {}),
    },
    { emit: ctx.out.emit, signal: ctx.signal },
  );
  await updateState(ctx.cwd, {
    bundle: {
      manifestDigest: result.manifestDigest,
      layout: layoutDir,
      lockDigest: result.lockDigest,
      assetRoot,
    },
  });
  let loaded: { tag: string; imageId: string } | undefined;
  if (s.load === true) {
    // Loaded only for --load: dockerode and its dependencies are ~10 MB of RSS a plain bundle does not need.
    const [{ connectDocker }, { loadIntoDocker }] = await Promise.all([
      import("../../docker/client.js"),
      import("../../bundle/load.js"),
    ]);
    const docker = await connectDocker({ env: ctx.env });
    const tag = (s.tag as string | undefined) ?? defaultLoadTag(result.manifestDigest);
    const imageId = await loadIntoDocker(docker, layoutDir, tag, { emit: ctx.out.emit, signal: ctx.signal });
    loaded = { tag, imageId };
    await updateState(ctx.cwd, { load: { tag, manifestDigest: result.manifestDigest, imageId } });
  }
  for (const w of result.warnings) ctx.out.warn(`skipped ${w.path}: ${w.reason}`);
  ctx.out.result(
    "bundle",
    {
      digest: result.manifestDigest,
      configDigest: result.configDigest,
      lockDigest: result.lockDigest,
      layout: layoutDir,
      loaded: loaded ?? null,
      layers: result.layers,
      skipped: result.warnings,
    },
    () => render(result, loaded),
  );
}

function render(result: BundleResult, loaded: { tag: string; imageId: string } | undefined): string {
  const rows = result.layers.map((l) => [
    l.title,
    String(l.files),
    formatBytes(l.uncompressedSize),
    formatBytes(l.size),
    l.digest.slice(0, 19),
  ]);
  const total = result.layers.reduce((n, l) => n + l.size, 0);
  const lines = [
    formatTable(["LAYER", "FILES", "UNCOMPRESSED", "COMPRESSED", "DIGEST"], rows),
    "",
    `image ${result.manifestDigest} (${result.layers.length} layers, ${formatBytes(total)})`,
    `layout ${result.layoutDir}`,
  ];
  if (loaded) lines.push(`loaded ${loaded.tag} (${loaded.imageId.slice(0, 19)})`);
  return lines.join("\n");
}
