import { UsageError } from "../errors.js";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

/** `--endpoint`: an http(s) URL without path or credentials; plain http only on loopback (credentials travel in it). */
// Kept apart from s3-client.ts so verify can check --s3-endpoint without loading the AWS SDK.
export function parseEndpoint(raw: string, flag = "--endpoint"): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${flag} ${raw} is not a URL`, { hint: `Give the server's base URL, e.g. ${flag} http://127.0.0.1:4568.` });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`${flag} ${raw} must be an http:// or https:// URL`);
  }
  if (url.username || url.password) {
    throw new UsageError(`${flag} must not carry credentials`, {
      hint: "Pass them through the AWS credential chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile).",
    });
  }
  if ((url.pathname !== "/" && url.pathname !== "") || url.search || url.hash) {
    throw new UsageError(`${flag} ${raw} must be the server's base URL, without a path`, {
      hint: "The bucket and prefix go in --to s3://BUCKET/PREFIX.",
    });
  }
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) {
    throw new UsageError(`${flag} ${raw}: plain http is only allowed on loopback (127.0.0.1, ::1, localhost)`, {
      hint: "Use https:// for a remote S3-compatible server.",
    });
  }
  return url;
}

/** Literal loopback host names only (never resolved through DNS). */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK.has(hostname);
}
