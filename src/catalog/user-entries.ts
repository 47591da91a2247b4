import { posix } from "node:path";
import { z } from "zod";
import { abs, env, home, xdgCache, xdgConfig, xdgData } from "./define.js";
import { CATALOG } from "./index.js";
import type { CacheLocation, Candidate, CatalogEntry } from "./types.js";
import { entryProblems, locationIds } from "./validate.js";

/**
 * Catalog entries a team writes in mlpack.json (`catalog: [...]`), so mlpack learns their library once:
 * `{ id, library?, paths, env, target?, writable?, notes? }`. They become ordinary `CatalogEntry` values
 * (one location per default path, the variables whose template is `{dir}`/`{parent}` moving it) and are
 * validated as strictly as built-in entries: a bad one is exit 2 naming the key.
 */

const SLUG = /^[a-z0-9][a-z0-9._-]*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const CONTROL = /[\u0000-\u001f\u007f]/;
const TARGET = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;
/** `~/x`, `$HOME/x`, `${HOME}/x`, `$XDG_CACHE_HOME/x` (also CONFIG, DATA) or an absolute path. */
const PATH_FORM = /^(?:~|\$HOME|\$\{HOME\}|\$\{?XDG_(?:CACHE|CONFIG|DATA)_HOME\}?)?\//;

const text = (what: string) =>
  z.string().refine((v) => !CONTROL.test(v), { message: `${what} must not contain control characters (newline, tab, …)` });

const pathSchema = text("a path")
  .refine((p) => PATH_FORM.test(p), {
    message: "must be ~/…, $HOME/…, $XDG_CACHE_HOME/…, $XDG_CONFIG_HOME/…, $XDG_DATA_HOME/… or an absolute path",
  })
  .refine((p) => !p.split("/").some((s) => s === ".." || s === "."), { message: 'must not contain "." or ".." segments' })
  .refine((p) => p.replace(PATH_FORM, "").replace(/\/+$/, "") !== "", {
    message: "must name a folder below HOME or the base, not the base itself",
  });

const BUILT_IN_IDS = new Set(CATALOG.map((e) => e.id));

export const userEntrySchema = z
  .strictObject({
    id: z
      .string()
      .regex(SLUG, { message: "must be a lower-case slug ([a-z0-9][a-z0-9._-]*)" })
      .refine((id) => !BUILT_IN_IDS.has(id), { message: "is a built-in entry's id; choose another" })
      .refine((id) => id !== "include", { message: '"include" is reserved for --include folders' }),
    library: text("library").optional().describe("display name (default: the id)"),
    paths: z.array(pathSchema).min(1).describe("where the library caches by default, in the run"),
    env: z
      .record(
        z.string().regex(ENV_NAME, { message: "variable names must match [A-Za-z_][A-Za-z0-9_]*" }),
        text("a value"),
      )
      .default({})
      .describe("runtime ENV: {dir} is the asset's folder in the image, {parent} its parent; {dir}/{parent} variables also move the cache during discover"),
    target: z
      .string()
      .regex(TARGET, { message: "must be a relative folder like mylib or team/mylib (no .., no leading /)" })
      .refine((t) => !t.split("/").some((s) => s === "." || s === ".."), { message: 'must not contain "." or ".." segments' })
      .optional()
      .describe("folder under the asset root (default: the id)"),
    writable: z.boolean().default(false).describe("the library writes into its cache even on a hit"),
    notes: z.array(text("a note")).default([]).describe("advice shown by discover and in the Dockerfile"),
  })
  .describe("a catalog entry of your own, shaped like the built-in ones (see `mlpack catalog`)");

export const userCatalogSchema = z.array(userEntrySchema).superRefine((entries, ctx) => {
  const seen = new Set<string>();
  const converted = entries.map(toCatalogEntry);
  const known = locationIds([...CATALOG, ...converted]);
  entries.forEach((e, i) => {
    if (seen.has(e.id)) ctx.addIssue({ code: "custom", path: [i, "id"], message: `"${e.id}" is used by two entries` });
    seen.add(e.id);
    // The same rules as the built-in entries (test/catalog/catalog.test.ts); the schema above should make these
    // unreachable, so a message here names the converted entry's key.
    for (const p of entryProblems(converted[i] as CatalogEntry, known)) {
      ctx.addIssue({ code: "custom", path: [i], message: `${p.key}: ${p.message}` });
    }
  });
});

export type UserEntry = z.output<typeof userEntrySchema>;
/** What mlpack.json may hold (defaults not yet applied). */
export type UserEntryInput = z.input<typeof userEntrySchema>;

/** A validated user entry as a catalog entry. */
export function toCatalogEntry(user: UserEntry): CatalogEntry {
  const locEnv: Record<string, string> = {};
  const staticEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(user.env)) (/\{dir\}|\{parent\}/.test(v) ? locEnv : staticEnv)[k] = v;
  const locations: CacheLocation[] = user.paths.map((p, i) => {
    const name = posix.basename(p.replace(/\/+$/, ""));
    const movers: Candidate[] = [];
    for (const [k, v] of Object.entries(locEnv)) {
      if (v === "{dir}") movers.push(env(k));
      else if (v === "{parent}") movers.push(env(k, { path: name }));
    }
    return {
      key: i === 0 ? "default" : `path${i + 1}`,
      candidates: [...movers, pathCandidate(p)],
      target: user.target ?? user.id,
      ...(Object.keys(locEnv).length > 0 ? { env: locEnv } : {}),
      ...(user.writable ? { writable: true } : {}),
    };
  });
  return {
    id: user.id,
    library: user.library ?? user.id,
    related: [],
    locations,
    ...(Object.keys(staticEnv).length > 0 ? { staticEnv } : {}),
    notes: user.notes,
    ...(user.writable ? { writable: true } : {}),
  };
}

function pathCandidate(p: string): Candidate {
  const clean = p.replace(/\/+$/, "");
  const m = /^(~|\$HOME|\$\{HOME\}|\$\{?XDG_(CACHE|CONFIG|DATA)_HOME\}?)\/(.*)$/.exec(clean);
  if (!m) return abs(posix.normalize(clean));
  const rest = m[3] as string;
  switch (m[2]) {
    case "CACHE":
      return xdgCache(rest);
    case "CONFIG":
      return xdgConfig(rest);
    case "DATA":
      return xdgData(rest);
    default:
      return home(rest);
  }
}

/** The catalog discover uses: built-in entries first (they win ties), then the user's. */
export function catalogWith(user: readonly UserEntry[] | undefined): readonly CatalogEntry[] {
  return user && user.length > 0 ? [...CATALOG, ...user.map(toCatalogEntry)] : CATALOG;
}

/** Whether an entry id belongs to the built-in catalog. */
export function isBuiltIn(id: string): boolean {
  return BUILT_IN_IDS.has(id);
}
