import { resolve } from "node:path";
import { UsageError } from "../errors.js";

/** Where `mlpack export --to` writes: an S3 bucket and key prefix, or a folder (an EFS mount or any folder). */
export type ExportDestination =
  | { kind: "s3"; bucket: string; prefix: string; url: string }
  | { kind: "dir"; path: string };

// S3's bucket naming rules (general purpose buckets): 3–63 characters, lower-case letters, digits, dots and
// hyphens, starting and ending with a letter or digit. S3-compatible servers accept a superset.
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Parses `--to`: `s3://BUCKET[/PREFIX]` or a folder path (relative to `cwd`). The prefix is kept without
 * leading or trailing slashes; empty, `.` and `..` components are refused, because the loader maps keys to
 * files under /tmp and such keys would not map back to the same paths.
 */
/** `flag` names what the user typed in messages (dockerfile --storage s3 passes "--bucket/--prefix"). */
export function parseDestination(to: string, cwd: string, flag = "--to"): ExportDestination {
  const value = to.trim();
  if (value === "") throw new UsageError(`${flag} is empty`, { hint: "Give s3://BUCKET/PREFIX or a folder." });
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(value)?.[1];
  if (scheme === undefined) return { kind: "dir", path: resolve(cwd, value) };
  if (scheme.toLowerCase() !== "s3") {
    throw new UsageError(`${flag} ${value}: only s3:// URLs and folders are supported`, {
      hint: "Use s3://BUCKET/PREFIX (with --endpoint for an S3-compatible server) or a folder path.",
    });
  }
  const rest = value.slice("s3://".length);
  const slash = rest.indexOf("/");
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const prefix = (slash < 0 ? "" : rest.slice(slash + 1)).replace(/^\/+|\/+$/g, "");
  if (!BUCKET.test(bucket) || bucket.includes("..")) {
    throw new UsageError(`${flag} ${value}: "${bucket}" is not a valid S3 bucket name`, {
      hint: "Bucket names are 3–63 lower-case letters, digits, dots and hyphens, e.g. s3://my-models/prod.",
    });
  }
  if (prefix !== "" && prefix.split("/").some((p) => p === "" || p === "." || p === "..")) {
    throw new UsageError(`${flag} ${value}: the key prefix has an empty, "." or ".." part`, {
      hint: "Use a plain prefix such as s3://my-models/prod/v1.",
    });
  }
  if (/[\0-\x1f\x7f]/.test(prefix)) throw new UsageError(`${flag} ${JSON.stringify(value)}: the prefix has control characters`);
  return { kind: "s3", bucket, prefix, url: `s3://${bucket}${prefix ? `/${prefix}` : ""}` };
}

/** The object key of an export path ("nltk_data/corpora/x") under the destination's prefix. */
export function objectKey(prefix: string, path: string): string {
  return prefix === "" ? path : `${prefix}/${path}`;
}

/** The destination as the user wrote it: `s3://bucket/prefix` or the folder. */
export function describeDestination(dest: ExportDestination): string {
  return dest.kind === "s3" ? dest.url : dest.path;
}
