import { posix } from "node:path";
import { BASES } from "../catalog/define.js";
import { resolveLocation } from "../catalog/resolve.js";
import { isInsideOrEqual, isStrictlyInside, relativeTo } from "./classify-paths.js";
import { portablePath, portableSlug, type RunPlaces } from "./include-spec.js";

/**
 * Where an unknown cache goes in the image and which variable points its library there (issue 18). Pure:
 * the run's HOME/env, the user's `=VAR` and what the code scan found are inputs. In order:
 * 1. `--include PATH=VAR`: VAR names the folder itself (or, for an XDG variable, its XDG base);
 * 2. a variable read next to the folder's name in the image's Python code (`os.environ.get("X", "~/.x")`);
 * 3. a folder under `$XDG_CACHE_HOME` (`~/.cache/<name>`) or `$XDG_DATA_HOME` moves with that variable, the
 *    rule platformdirs/appdirs-based libraries follow;
 * 4. a variable whose name contains the folder's name, read in a file that mentions the folder;
 * 5. otherwise no variable: a folder under HOME is placed at the same path under HOME at start (`home`).
 */

/** One environment lookup the code scanner found near a folder's name. */
export interface CodeHit {
  /** The folder name that was searched for. */
  name: string;
  variable: string;
  /** The file relative to its sys.path entry ("mylib/config.py"), so it is the same on every machine. */
  file: string;
  line: number;
  /** 1: the name is in the lookup's statement; 2: the variable's name contains the folder's name. */
  tier: 1 | 2;
  /** `dir`: the variable names the folder itself; `parent`: the folder's name is joined below its value. */
  relation: "dir" | "parent";
  /** The source line, trimmed. */
  text: string;
}

/** What the scanner looks for: a path segment equal to `name`, or a string containing it. */
export interface ScanRequest {
  name: string;
  match: "segment" | "substring";
}

export type RelocationVia = "flag" | "code" | "xdg" | "home" | "none";

export interface Relocation {
  via: RelocationVia;
  variable?: string;
  /** The lookup that names the variable (via "code"). */
  evidence?: CodeHit;
}

/** An unknown cache's place in the asset image and how the library finds it there. */
export interface AssetLayout {
  target: string;
  env: Record<string, string>;
  /** Path relative to HOME where the image places the folder at start (no variable moves it). */
  home?: string;
  notes: string[];
  relocation: Relocation;
}

/** Variables that are bases for many libraries, never one library's own (the scan ignores them). */
const BASE_VARIABLES = new Set([
  "HOME",
  "USERPROFILE",
  "PATH",
  "PYTHONPATH",
  "PWD",
  "TMPDIR",
  "TEMP",
  "TMP",
  "XDG_CACHE_HOME",
  "XDG_CONFIG_HOME",
  "XDG_DATA_HOME",
  "XDG_STATE_HOME",
  "XDG_RUNTIME_DIR",
]);

interface XdgBase {
  variable: "XDG_CACHE_HOME" | "XDG_DATA_HOME";
  dir: string;
  /** Where the base is in the image, under the asset root ("" = the asset root, as whisper's entry does). */
  prefix: string;
}

/** The run's XDG cache and data bases, resolved like platformdirs does. */
export function xdgBases(env: Readonly<Record<string, string>>, home: string): XdgBase[] {
  const ctx = { env, home };
  const out: XdgBase[] = [];
  const [cache] = resolveLocation({ key: "xdgCache", candidates: BASES.xdgCache }, ctx);
  const [data] = resolveLocation({ key: "xdgData", candidates: BASES.xdgData }, ctx);
  if (cache !== undefined) out.push({ variable: "XDG_CACHE_HOME", dir: cache, prefix: "" });
  if (data !== undefined) out.push({ variable: "XDG_DATA_HOME", dir: data, prefix: "xdg-data" });
  return out;
}

/**
 * The folder name to look for in the code, and the folder it names: the first segment below an XDG base,
 * HOME or the project, else the whole absolute path as a substring. Undefined for HOME or a base itself.
 */
export function scanTarget(
  root: string,
  places: RunPlaces,
  bases: readonly XdgBase[],
): { request: ScanRequest; named: string } | undefined {
  const parents = [
    ...bases.map((b) => b.dir),
    places.home,
    ...(places.projectRoot === undefined ? [] : [places.projectRoot]),
  ];
  for (const parent of parents) {
    if (root === parent) return undefined;
    if (!isStrictlyInside(root, parent)) continue;
    const name = relativeTo(parent, root).split("/")[0] as string;
    return { request: { name, match: "segment" }, named: posix.join(parent, name) };
  }
  return { request: { name: root, match: "substring" }, named: root };
}

/** The hit to propose for a folder: tier 1 before tier 2, `dir` before `parent`, then the scanner's order. */
export function bestHit(hits: readonly CodeHit[], tier: 1 | 2): CodeHit | undefined {
  const usable = hits.filter((h) => h.tier === tier && !BASE_VARIABLES.has(h.variable));
  return usable.find((h) => h.relation === "dir") ?? usable[0];
}

export interface RelocateInput {
  root: string;
  places: RunPlaces;
  env: Readonly<Record<string, string>>;
  assetRoot: string;
  /** `=VAR` from the user. */
  variable?: string | undefined;
  /** Code-scan hits for this folder's name. */
  hits: readonly CodeHit[];
  /** Targets other assets of the run already use. */
  taken: ReadonlySet<string>;
}

/** Decides target, ENV and HOME placement for one unknown cache (see the module comment for the order). */
export function relocate(input: RelocateInput): AssetLayout {
  const { root, places, assetRoot } = input;
  const bases = xdgBases(input.env, places.home);
  const base = bases.find((b) => isStrictlyInside(root, b.dir));
  const named = scanTarget(root, places, bases)?.named ?? root;

  if (input.variable !== undefined) {
    if (base?.variable === input.variable) return viaXdg(input, base, "flag");
    return viaVariable(input, root, input.variable, { via: "flag", variable: input.variable });
  }
  const first = bestHit(input.hits, 1);
  if (first) return viaHit(input, first, named);
  if (base) return viaXdg(input, base, "xdg");
  const second = bestHit(input.hits, 2);
  if (second) return viaHit(input, second, named);

  const target = `include/${portableSlug(root, places)}`;
  const inImage = posix.join(assetRoot, target);
  if (isInsideOrEqual(root, places.home) && root !== places.home) {
    const home = relativeTo(places.home, root);
    return {
      target,
      env: {},
      home,
      notes: [
        `No variable is known to move ${portablePath(root, places)}: the image keeps it in ${inImage} and links it to ~/${home} (HOME=/tmp on Lambda) at start. If the library reads a variable, name it: --include '~/${home}=VAR'.`,
      ],
      relocation: { via: "home" },
    };
  }
  return {
    target,
    env: {},
    notes: [
      `No variable is known to move ${portablePath(root, places)}: in the image it is ${inImage}; point the code at that path, or name the variable with --include '${portablePath(root, places)}=VAR'.`,
    ],
    relocation: { via: "none" },
  };
}

function viaHit(input: RelocateInput, hit: CodeHit, named: string): AssetLayout {
  const mover = hit.relation === "dir" ? named : posix.dirname(named);
  return viaVariable(input, mover, hit.variable, { via: "code", variable: hit.variable, evidence: hit });
}

/** The variable names `mover` (the folder itself, or an ancestor the root sits in). */
function viaVariable(input: RelocateInput, mover: string, variable: string, relocation: Relocation): AssetLayout {
  const moverTarget = `include/${portableSlug(mover, input.places)}`;
  const rest = relativeTo(mover, input.root);
  const target = rest === "" ? moverTarget : `${moverTarget}/${rest}`;
  const dir = posix.join(input.assetRoot, moverTarget);
  return {
    target,
    env: { [variable]: dir },
    // The same words however the variable was found (=VAR, the scan), so equivalent runs write the same lock.
    notes: [`${variable}=${dir} points the library at ${portablePath(input.root, input.places)}, kept in ${posix.join(input.assetRoot, target)}.`],
    relocation,
  };
}

/**
 * `~/.cache/<name>` → `<asset root>/<name>` with XDG_CACHE_HOME at the asset root (where whisper's entry puts
 * it too, so the two agree); when that target is taken, the base gets a folder of its own under include/.
 */
function viaXdg(input: RelocateInput, base: XdgBase, via: "flag" | "xdg"): AssetLayout {
  const rel = relativeTo(base.dir, input.root);
  const target = base.prefix === "" ? rel : `${base.prefix}/${rel}`;
  const collides = [...input.taken].some((t) => isInsideOrEqual(t, target) || isInsideOrEqual(target, t));
  const relocation: Relocation = { via, variable: base.variable };
  const layout = collides
    ? viaVariable(input, base.dir, base.variable, relocation)
    : {
        target,
        env: { [base.variable]: base.prefix === "" ? input.assetRoot : posix.join(input.assetRoot, base.prefix) },
        notes: [],
        relocation,
      };
  const dir = layout.env[base.variable] as string;
  const kind = base.variable === "XDG_CACHE_HOME" ? "cache" : "data";
  layout.notes = [
    `Relocated with ${base.variable}=${dir} (the platformdirs/appdirs rule for ${portablePath(input.root, input.places)}). This moves every XDG-following library's ${kind} to ${dir}, read-only in the image: a library that writes its ${kind} there at run time fails. Give it its own variable pointing under /tmp, or mark this asset writable (--writable).`,
  ];
  return layout;
}
