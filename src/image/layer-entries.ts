import { posix } from "node:path";
import { UsageError } from "../errors.js";
import { compareUtf8 } from "../util/byte-order.js";
import { escapeName } from "../util/names.js";
import type { LayerPart, LayerPlan } from "./layer-plan.js";
import type { TarEntry } from "./tar-entries.js";
import { type TreeTally, type TreeView, type WalkItem, walkPart } from "./tree-walk.js";

/** A staged asset being streamed: where it goes in the image, and the tally its walk fills in. */
export interface LayerSource {
  id: string;
  target: string;
  tally: TreeTally;
  view: TreeView;
}

function unsafe(what: string, value: string, rule: string): UsageError {
  return new UsageError(`${what} ${JSON.stringify(escapeName(value))} ${rule}`, {
    code: "E_UNSAFE_PATH",
    hint: "The asset root must be an absolute, normalised path (e.g. /cache) and each lock target a relative path without `..`.",
  });
}

/**
 * `<assetRoot>/<target>` as a tar name prefix ("cache/huggingface"), refusing what could place entries
 * outside the asset root whatever the lock says: a root that is not absolute and normalised, a target with
 * `..`, `.` or empty components, control characters that end a name (NUL).
 */
export function layerPrefix(assetRoot: string, target: string): string {
  const root = assetRoot.length > 1 ? assetRoot.replace(/\/+$/, "") : assetRoot;
  if (!root.startsWith("/") || posix.normalize(root) !== root || root.includes("\0"))
    throw unsafe("asset root", assetRoot, "is not an absolute, normalised path");
  const trimmed = target.replace(/^\/+|\/+$/g, "");
  if (trimmed.includes("\0") || (trimmed !== "" && trimmed.split("/").some((p) => p === "" || p === "." || p === "..")))
    throw unsafe("asset target", target, "has an empty, `.` or `..` component");
  return [root.slice(1), trimmed].filter((p) => p !== "").join("/");
}

/** Every ancestor of a "/"-separated path, outermost first ("a/b/c" → "a", "a/b"). */
function ancestors(path: string): string[] {
  const parts = path.split("/");
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join("/"));
}

function toEntry(item: WalkItem, prefix: string, source: LayerSource): TarEntry {
  const name = prefix === "" ? item.rel : `${prefix}/${item.rel}`;
  if (item.type === "dir") return { name, type: "dir", mode: 0o755, size: 0 };
  if (item.type === "symlink") return { name, type: "symlink", mode: 0o777, size: 0, linkname: item.linkname };
  // Size -1: taken from the descriptor when the stream opens it.
  return { name, type: "file", mode: 0o644, size: -1, source: { dir: source.tally.dir, rel: item.rel, tally: source.tally } };
}

function* partEntries(part: LayerPart, source: LayerSource, assetRoot: string): Generator<TarEntry> {
  const prefix = layerPrefix(assetRoot, source.target);
  for (const dir of [...ancestors(prefix), prefix]) {
    if (dir !== "") yield { name: dir, type: "dir", mode: 0o755, size: 0 };
  }
  for (const item of walkPart(part, source.tally, source.view)) yield toEntry(item, prefix, source);
}

/**
 * The tar entries of one planned layer, streamed: `<assetRoot>/<target>/...` with every parent directory,
 * in byte order of the names (so parents precede children). The walk already yields each part in that
 * order and one prefix keeps it, so a layer of one part (nearly all of them) is a single pass that holds
 * nothing per file; a merged layer is a k-way merge of its parts, where of entries with the same name
 * (shared parent folders) the first part listed wins.
 */
export function layerEntries(
  plan: LayerPlan,
  assets: ReadonlyMap<string, LayerSource>,
  assetRoot: string,
): Iterable<TarEntry> {
  const streams = plan.parts.map((part) => {
    const source = assets.get(part.assetId);
    if (!source) throw new Error(`layer plan names unknown asset ${part.assetId}`);
    return partEntries(part, source, assetRoot);
  });
  if (streams.length === 1) return streams[0] as Generator<TarEntry>;
  return mergeSorted(streams);
}

function* mergeSorted(streams: Generator<TarEntry>[]): Generator<TarEntry> {
  const heads = streams.map((s) => s.next());
  let last: string | undefined;
  for (;;) {
    let pick = -1;
    for (let i = 0; i < heads.length; i++) {
      const head = heads[i] as IteratorResult<TarEntry>;
      if (head.done) continue;
      const best = pick < 0 ? undefined : (heads[pick] as IteratorYieldResult<TarEntry>).value;
      if (best === undefined || compareUtf8(head.value.name, best.name) < 0) pick = i;
    }
    if (pick < 0) return;
    const entry = (heads[pick] as IteratorYieldResult<TarEntry>).value;
    heads[pick] = (streams[pick] as Generator<TarEntry>).next();
    if (entry.name === last) continue;
    last = entry.name;
    yield entry;
  }
}
