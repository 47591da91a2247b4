import { readFile } from "node:fs/promises";
import type { Lock, LockAsset } from "../lock/lock.js";

/** Where the rendered Dockerfile puts the entrypoint wrapper (templates/mlpack-entrypoint.sh). */
export const WRAPPER_PATH = "/opt/mlpack/entrypoint.sh";

/** Writable views of assets live under Lambda's only writable directory. */
export const VIEW_ROOT = "/tmp/mlpack-writable";

/** AWS's Lambda base images start the runtime through this script, with the handler as its one argument. */
export const LAMBDA_ENTRYPOINT = "/lambda-entrypoint.sh";

export interface AssetView {
  asset: string;
  /** The asset's read-only directory in the image. */
  source: string;
  /** The writable view under /tmp the wrapper builds from it. */
  view: string;
}

export interface HomeLink {
  asset: string;
  /** Path relative to $HOME where the library looks. */
  rel: string;
  /** What `$HOME/<rel>` links to: the asset's directory, or its writable view. */
  target: string;
}

export interface ViewPlan {
  views: AssetView[];
  homes: HomeLink[];
}

/** `root` + `target`, without a double slash under `/`. */
export function assetDir(root: string, target: string): string {
  return root === "/" ? `/${target}` : `${root}/${target}`;
}

export function viewOf(asset: Pick<LockAsset, "id">): string {
  return `${VIEW_ROOT}/${asset.id}`;
}

/** Which assets need the wrapper: `writable` ones get a view, `home` ones a link under $HOME. */
export function planViews(lock: Pick<Lock, "assets">, assetRoot: string): ViewPlan {
  const assets = [...lock.assets].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const views = assets
    .filter((a) => a.writable === true)
    .map((a) => ({ asset: a.id, source: assetDir(assetRoot, a.target), view: viewOf(a) }));
  const homes = assets.flatMap((a) =>
    a.home === undefined
      ? []
      : [{ asset: a.id, rel: a.home, target: a.writable ? viewOf(a) : assetDir(assetRoot, a.target) }],
  );
  return { views, homes };
}

export function needsWrapper(plan: ViewPlan): boolean {
  return plan.views.length + plan.homes.length > 0;
}

/** The wrapper's own arguments, ending with `--`; the original entrypoint and CMD follow them. */
export function wrapperArgs(plan: ViewPlan): string[] {
  return [
    WRAPPER_PATH,
    ...plan.views.flatMap((v) => ["--view", v.source, v.view]),
    ...plan.homes.flatMap((h) => ["--home", h.rel, h.target]),
    "--",
  ];
}

/**
 * Splits an image's ENTRYPOINT into the wrapper part (up to and including `--`) and the original entrypoint,
 * or returns undefined when the image has no mlpack wrapper. verify runs its own command behind the wrapper.
 */
export function splitWrapper(entrypoint: readonly string[]): { wrapper: string[]; original: string[] } | undefined {
  if (entrypoint[0] !== WRAPPER_PATH) return undefined;
  const end = entrypoint.indexOf("--");
  if (end < 0) return undefined;
  return { wrapper: entrypoint.slice(0, end + 1), original: entrypoint.slice(end + 1) };
}

/** The wrapper script shipped in the package's `templates/`. */
export async function loadWrapperScript(): Promise<string> {
  return readFile(new URL("../../templates/mlpack-entrypoint.sh", import.meta.url), "utf8");
}

/** `'text'` for /bin/sh: nothing inside single quotes is special except the quote itself. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * The RUN instruction that writes the wrapper into the image. The script is mlpack's own text, each line one
 * single-quoted printf argument, so no character in it reaches the shell or the Dockerfile parser unquoted.
 * Its header comment is kept; blank and comment lines of the body are dropped to keep the Dockerfile short.
 */
export function wrapperRunInstruction(script: string): string {
  const all = script.replace(/\n$/, "").split("\n");
  const headerEnd = all.findIndex((l) => !l.startsWith("#"));
  const header = headerEnd < 0 ? all : all.slice(0, headerEnd);
  const body = headerEnd < 0 ? [] : all.slice(headerEnd).filter((l) => l.trim() !== "" && !/^\s*#/.test(l));
  return printfFileInstruction(WRAPPER_PATH, [...header, ...body], "0755");
}

/**
 * `RUN mkdir -p DIR && printf '%s\\n' 'line' … > PATH && chmod MODE PATH`: a file written by the Dockerfile
 * alone (nothing in the build context, legacy builder too), each line one single-quoted argument. `path` is
 * mlpack's own (checked by the caller); the lines must hold no line break.
 */
export function printfFileInstruction(path: string, lines: readonly string[], mode: "0644" | "0755"): string {
  const dir = path.slice(0, path.lastIndexOf("/")) || "/";
  return [
    `RUN mkdir -p ${dir} && printf '%s\\n' \\`,
    ...lines.map((l) => `    ${shellQuote(l)} \\`),
    `    > ${path} && chmod ${mode} ${path}`,
  ].join("\n");
}
