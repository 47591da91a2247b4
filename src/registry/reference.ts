import { UsageError } from "../errors.js";

/**
 * Image references as users write them: `host[:port]/repo/path[:tag][@sha256:…]`. The first path component
 * names a registry when it has a `.` or `:` or is `localhost` (Docker's rule); otherwise the reference has
 * no registry (a local engine image, or Docker Hub to the engine).
 */
export interface ImageReference {
  /** "host[:port]", or undefined when the reference names no registry. */
  registry: string | undefined;
  repository: string;
  tag: string | undefined;
  digest: string | undefined;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

function bad(ref: string, why: string): UsageError {
  return new UsageError(`Invalid image reference "${ref}": ${why}`, {
    code: "E_BAD_REFERENCE",
    hint: "Write it as host[:port]/repository[:tag] or host[:port]/repository@sha256:<64 hex>.",
  });
}

export function parseReference(ref: string): ImageReference {
  const text = ref.trim();
  if (text === "" || /\s/.test(text)) throw bad(ref, "empty or contains spaces");
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad(ref, "the digest is not sha256:<64 hex>");
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(ref, `the tag "${tag}" is not valid`);
  }
  const [first = "", ...path] = rest.split("/");
  const hasRegistry = path.length > 0 && (first.includes(".") || first.includes(":") || first === "localhost");
  const registry = hasRegistry ? first : undefined;
  const repository = hasRegistry ? path.join("/") : rest;
  if (!REPOSITORY.test(repository) || repository.length > 255) {
    throw bad(ref, `"${repository}" is not a valid repository name (lowercase, digits, . _ - and /)`);
  }
  return { registry, repository, tag, digest };
}

/** "host/repo@sha256:…", "host/repo:tag" or "repo:tag" (the digest wins when both are known). */
export function formatReference(ref: ImageReference): string {
  const name = ref.registry ? `${ref.registry}/${ref.repository}` : ref.repository;
  if (ref.digest) return `${name}@${ref.digest}`;
  return ref.tag ? `${name}:${ref.tag}` : name;
}

/** What to ask the registry for: the digest when pinned, else the tag, else `latest`. */
export function manifestReference(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? "latest";
}

/** ECR registry hosts: `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]`, with the region parsed out. */
export function ecrRegion(host: string): string | undefined {
  const m = /^\d{12}\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/.exec(host.toLowerCase());
  return m?.[1];
}
