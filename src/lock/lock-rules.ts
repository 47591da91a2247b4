import { basename } from "node:path";
import { z } from "zod";
import {
  absoluteNormalised,
  type Check,
  envName,
  maxLength,
  noNul,
  relativeInside,
  showValue,
  singleLine,
  slug,
} from "../util/value-rules.js";

/**
 * mlpack.lock.json is committed, so a pull request can change it and CI then renders and builds from it: every
 * field that reaches a Dockerfile, a tar name or a path is held to a rule here, and a violation names the
 * file, the key and the rule (`mlpack.lock.json: assets[0].target "../bin": must not contain ".."`).
 */
export function ruled(checks: readonly Check[]): z.ZodString {
  let schema = z.string();
  for (const check of checks) {
    schema = schema.superRefine((value, ctx) => {
      const bad = check(value);
      if (bad) ctx.addIssue({ code: "custom", message: bad });
    }) as unknown as z.ZodString;
  }
  return schema;
}

export const assetIdSchema = ruled([slug]).describe("asset id: a slug");
export const librarySchema = ruled([slug]).describe("catalog entry that claimed the cache: a slug");
export const targetSchema = ruled([relativeInside]).describe(
  "path under the asset root: relative, normalised, no '..', no control characters",
);
export const assetRootSchema = ruled([absoluteNormalised]).describe(
  "directory in the asset image that holds the caches: absolute and normalised",
);
export const envMapSchema = z
  .record(ruled([envName]), ruled([singleLine, maxLength(32_768)]))
  .describe("runtime ENV the library needs to find it");
export const homeSchema = ruled([relativeInside]).describe(
  "path relative to HOME where the library expects the asset because no variable moves it; the image links $HOME/<home> to it at start",
);
/** Free text that is only ever shown (escaped) or passed as one exec argument: NUL is the only hazard. */
export const textSchema = ruled([noNul]);

interface AssetLike {
  id: string;
  target: string;
  home?: string | undefined;
}

/** Rules across assets: one COPY per id and per target, and HOME links that do not sit inside each other. */
export function crossAssetIssues(assets: readonly AssetLike[], ctx: z.RefinementCtx): void {
  const ids = new Map<string, number>();
  const targets = new Map<string, number>();
  assets.forEach((a, i) => {
    if (ids.has(a.id))
      ctx.addIssue({ code: "custom", path: ["assets", i, "id"], message: `is also the id of assets[${ids.get(a.id)}]` });
    else ids.set(a.id, i);
    if (targets.has(a.target))
      ctx.addIssue({
        code: "custom",
        path: ["assets", i, "target"],
        message: `is also the target of assets[${targets.get(a.target)}]`,
      });
    else targets.set(a.target, i);
  });
  const homes = assets.flatMap((a, i) => (a.home === undefined ? [] : [{ home: a.home, i }]));
  for (const a of homes) {
    const outer = homes.find((b) => b !== a && (a.home === b.home || a.home.startsWith(`${b.home}/`)));
    if (outer)
      ctx.addIssue({
        code: "custom",
        path: ["assets", a.i, "home"],
        message: `must not be inside (or equal to) assets[${outer.i}].home`,
      });
  }
}

/** `["assets", 0, "env", "A B"]` → `assets[0].env["A B"]`. */
export function keyPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(String(part))) out += out === "" ? String(part) : `.${String(part)}`;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const part of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<PropertyKey, unknown>)[part];
  }
  return node;
}

/**
 * One zod issue as "<file>: <key> <value>: <rule>". A bad record key is named through its parent with the key
 * as the value; a missing or mistyped field says what was expected.
 */
export function describeIssue(file: string, raw: unknown, issue: z.core.$ZodIssue): string {
  const name = basename(file);
  if (issue.code === "invalid_key") {
    const key = issue.path[issue.path.length - 1];
    const inner = issue.issues[0]?.message ?? issue.message;
    return `${name}: ${keyPath(issue.path.slice(0, -1))} key ${showValue(String(key))}: ${inner}`;
  }
  if (issue.code === "unrecognized_keys") {
    const where = keyPath(issue.path);
    return `${name}: unknown key ${showValue(issue.keys[0])}${where ? ` in ${where}` : ""}`;
  }
  const value = valueAt(raw, issue.path);
  const key = keyPath(issue.path) || "(top level)";
  if (issue.code === "custom" || value !== undefined)
    return `${name}: ${key} ${value === undefined ? "" : `${showValue(value)}: `}${issue.message}`;
  return `${name}: ${key} is missing (${issue.message})`;
}
