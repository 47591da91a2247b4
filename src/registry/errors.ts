import { RegistryError } from "../errors.js";
import { formatBytes } from "../util/format-bytes.js";
import { TransportError } from "./http.js";

/**
 * Turning registry answers and socket failures into RegistryError values: the registry's own error code,
 * the HTTP status, whether a retry can help, and a hint naming what to fix (credentials, IAM action,
 * missing repository). URLs are redacted of query strings, and known secrets are scrubbed from any text.
 */

/** What the client was doing, so a DENIED can name the exact ECR IAM action that is missing. */
export type Operation =
  | "ping"
  | "token"
  | "blob-check"
  | "blob-mount"
  | "upload-start"
  | "upload-patch"
  | "upload-finish"
  | "manifest-check"
  | "manifest-put"
  | "manifest-get"
  | "blob-get";

/** What each operation is, in words, for messages that must name the step that failed. */
const STEP: Record<Operation, string> = {
  ping: "the API check",
  token: "the token request",
  "blob-check": "the blob check",
  "blob-mount": "the blob mount",
  "upload-start": "starting an upload",
  "upload-patch": "uploading a blob",
  "upload-finish": "finishing an upload",
  "manifest-check": "the manifest check",
  "manifest-put": "the manifest upload",
  "manifest-get": "reading a manifest",
  "blob-get": "reading a blob",
};

/** "the API check (GET http://host/v2/)": the step and the request, URL redacted. */
export function describeStep(operation: Operation, method: string, url: string | URL): string {
  return `${STEP[operation]} (${method} ${redactUrl(url)})`;
}

const IAM_ACTION: Record<Operation, string> = {
  ping: "ecr:GetAuthorizationToken",
  token: "ecr:GetAuthorizationToken",
  "blob-check": "ecr:BatchCheckLayerAvailability",
  "blob-mount": "ecr:InitiateLayerUpload",
  "upload-start": "ecr:InitiateLayerUpload",
  "upload-patch": "ecr:UploadLayerPart",
  "upload-finish": "ecr:CompleteLayerUpload",
  "manifest-check": "ecr:BatchGetImage",
  "manifest-put": "ecr:PutImage",
  "manifest-get": "ecr:BatchGetImage",
  "blob-get": "ecr:GetDownloadUrlForLayer",
};

const STATUS_CODE: Record<number, string> = { 401: "UNAUTHORIZED", 403: "DENIED", 429: "TOOMANYREQUESTS" };
const RETRYABLE_STATUS = new Set([408, 429, 499, 500, 502, 503, 504, 522]);
const RETRYABLE_NET = new Set([
  "ECONNRESET",
  "EPIPE",
  "ECONNREFUSED",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "ECONNABORTED",
]);

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUS.has(status);
}

/** Drops the query string and fragment: presigned URLs and upload locations can carry tokens. */
export function redactUrl(url: string | URL): string {
  try {
    const u = new URL(url.toString());
    const q = u.search ? "?…" : "";
    return `${u.protocol}//${u.host}${u.pathname}${q}`;
  } catch {
    return "<url>";
  }
}

/** Replaces every occurrence of each secret with "***". */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join("***");
  return out;
}

/** Parses `{"errors":[{"code","message"}]}`; tolerates non-JSON bodies (ECR's 401 says "Not Authorized"). */
export function parseErrorBody(body: Buffer | string | undefined): { code?: string; message?: string } {
  if (!body || body.length === 0) return {};
  const text = body.toString().slice(0, 4096);
  try {
    const parsed = JSON.parse(text) as { errors?: { code?: unknown; message?: unknown }[] };
    const first = parsed.errors?.[0];
    if (first) {
      return {
        code: typeof first.code === "string" ? first.code : undefined,
        message: typeof first.message === "string" ? first.message : undefined,
      };
    }
  } catch {
    // not JSON; fall through to the plain-text message below
  }
  const line = text.split("\n")[0]?.trim();
  return line && line.length < 200 && !line.startsWith("<") ? { message: line } : {};
}

export interface HttpErrorContext {
  operation: Operation;
  method: string;
  url: string | URL;
  status: number;
  body?: Buffer;
  host: string;
  repository?: string;
  secrets?: readonly string[];
}

export function hintFor(code: string | undefined, status: number | undefined, ctx: HintContext): string {
  const iam = IAM_ACTION[ctx.operation];
  if (code === "NAME_UNKNOWN" || (status === 404 && ctx.operation === "upload-start")) {
    return `Repository ${ctx.repository ?? ""} does not exist on ${ctx.host}: create it, or push with --create-repository (ECR).`;
  }
  if (code === "UNAUTHORIZED" || status === 401) {
    return `Check the credentials for ${ctx.host} (docker login or $DOCKER_CONFIG/config.json; on ECR, that the AWS principal has ${iam} and the 12 h token is fresh).`;
  }
  if (code === "DENIED" || status === 403) {
    return `The credentials were accepted but may not push to ${ctx.repository ?? "this repository"}; on ECR, allow ${iam} on it.`;
  }
  if (code === "TAG_INVALID")
    return "The tag exists and the repository's tags are immutable: push under a new --tag.";
  if (code === "MANIFEST_BLOB_UNKNOWN" || code === "BLOB_UNKNOWN")
    return "A referenced blob is missing; push again.";
  if (code === "DIGEST_INVALID")
    return "The uploaded bytes do not match their digest; rebuild the image with mlpack bundle.";
  if (code === "MANIFEST_INVALID")
    return "The registry rejected the manifest format; check it accepts OCI manifests.";
  if (code === "TOOMANYREQUESTS" || status === 429)
    return "The registry is rate limiting: try later or lower --concurrency.";
  if (status === 413) return "The registry refused the size of this upload.";
  if (status !== undefined && status >= 500) return `The registry at ${ctx.host} failed; try again later.`;
  return `Unexpected answer from ${ctx.host} while ${ctx.operation}.`;
}

interface HintContext {
  operation: Operation;
  host: string;
  repository?: string;
}

/** A RegistryError for a non-success HTTP answer. */
export function httpError(ctx: HttpErrorContext): RegistryError {
  const parsed = parseErrorBody(ctx.body);
  const what = parsed.code ? `${parsed.code}: ${parsed.message ?? ""}`.trim() : (parsed.message ?? "");
  const message = `${ctx.method} ${redactUrl(ctx.url)} answered ${ctx.status}${what ? ` (${what})` : ""}`;
  // HEAD answers have no body; name the code the status implies so callers can still match on it.
  parsed.code ??= STATUS_CODE[ctx.status];
  const retryable = isRetryableStatus(ctx.status) || parsed.code === "TOOMANYREQUESTS";
  const secrets = ctx.secrets ?? [];
  return new RegistryError(scrub(message, secrets), {
    code: ctx.status === 401 || ctx.status === 403 ? "E_REGISTRY_AUTH" : "E_REGISTRY",
    registryCode: parsed.code,
    status: ctx.status,
    retryable,
    hint: scrub(hintFor(parsed.code, ctx.status, ctx), secrets),
  });
}

/** A RegistryError for a deadline or size cap of the transport: the host and the step are named. */
function transportError(
  err: TransportError,
  ctx: { operation: Operation; method: string; url: string | URL; host: string },
): RegistryError {
  const step = describeStep(ctx.operation, ctx.method, ctx.url);
  const s = `${Math.round(err.limit / 100) / 10} s`;
  if (err.phase === "size") {
    return new RegistryError(`${ctx.host} answered ${step} with more than ${formatBytes(err.limit)}`, {
      code: "E_REGISTRY_RESPONSE_TOO_LARGE",
      hint: `No valid answer is that large: the server at ${ctx.host} is not a working registry, or something between us rewrites its answers.`,
    });
  }
  const message =
    err.phase === "connect"
      ? `Could not connect to ${ctx.host} within ${s} for ${step}`
      : err.phase === "first-byte"
        ? `${ctx.host} sent no answer to ${step} within ${s}`
        : err.phase === "upload"
          ? `${ctx.host} stopped taking data during ${step} (nearly nothing moved in ${s})`
          : `${ctx.host} stopped sending its answer to ${step} (too slow for ${s})`;
  return new RegistryError(message, {
    code: "E_REGISTRY_TIMEOUT",
    retryable: true,
    details: { phase: err.phase, deadlineMs: err.limit },
    hint: `The registry at ${ctx.host} accepts connections but does not answer in time: check that it is healthy and that no proxy in between holds the connection.`,
  });
}

/** A RegistryError for a socket-level failure (reset, refused, TLS) or a transport deadline. */
export function networkError(
  err: unknown,
  ctx: { operation: Operation; method: string; url: string | URL; host: string; secrets?: readonly string[] },
): RegistryError {
  if (err instanceof TransportError) return transportError(err, ctx);
  const e = err as NodeJS.ErrnoException;
  const code = typeof e?.code === "string" ? e.code : undefined;
  const text = e instanceof Error ? e.message : String(err);
  const hangUp = /socket hang up|aborted|ECONNRESET|EPIPE/i.test(text);
  const retryable = (code !== undefined && RETRYABLE_NET.has(code)) || hangUp;
  const tls = code !== undefined && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code);
  const hint = tls
    ? "The registry's TLS certificate is not trusted: pass its CA (NODE_EXTRA_CA_CERTS or the ca option)."
    : code === "ECONNREFUSED" || code === "ENOTFOUND"
      ? `Nothing answers at ${ctx.host}: check the registry host and port, and that it is running.`
      : `The connection to ${ctx.host} failed during ${STEP[ctx.operation]}; try again.`;
  const message = `${ctx.method} ${redactUrl(ctx.url)} failed: ${code ?? text}`;
  const secrets = ctx.secrets ?? [];
  return new RegistryError(scrub(message, secrets), {
    code: "E_REGISTRY_UNREACHABLE",
    retryable,
    hint,
    cause: { code, message: scrub(redactInText(text), secrets) },
  });
}

/** Redacts any URL query strings that appear inside free text (e.g. a Node error message). */
export function redactInText(text: string): string {
  return text.replace(/(https?:\/\/[^\s?"']+)\?[^\s"']*/g, "$1?…");
}
