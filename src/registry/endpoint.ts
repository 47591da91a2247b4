import { lookup } from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import { UsageError } from "../errors.js";

/**
 * Where a registry lives. `http://` is allowed only for literal loopback hosts; anything else is https.
 * A bare loopback "host[:port]" has no known scheme yet: the client tries https first, then http.
 */
export interface RegistryEndpoint {
  /** "host[:port]" as it appears in image references. */
  host: string;
  /** Candidate base URLs in the order to try ("https://host", then "http://host" for loopback). */
  candidates: URL[];
}

/**
 * True only for literal loopback addresses: 127.0.0.0/8, ::1 and the name `localhost` itself. Names under
 * `.localhost` (`evil.localhost`) do not count: whatever DNS says about them, they are not ours to trust.
 */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost") return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  if (isIP(h) === 6) return new URL(`http://[${h}]`).hostname === "[::1]";
  return false;
}

/**
 * A DNS lookup that answers `localhost` with 127.0.0.1 itself instead of asking the resolver (a hosts file or
 * resolver could point it elsewhere, and plain http is allowed there only because it is loopback).
 */
export const pinnedLookup: LookupFunction = (hostname, options, callback) => {
  if (hostname.toLowerCase() !== "localhost") return lookup(hostname, options, callback);
  if (options.all) {
    const all = callback as unknown as (e: null, addresses: { address: string; family: number }[]) => void;
    all(null, [{ address: "127.0.0.1", family: 4 }]);
  } else callback(null, "127.0.0.1", 4);
};

/** Scheme, host and port equal: the unit credentials are bound to. */
export function sameOrigin(a: URL, b: URL): boolean {
  return a.origin === b.origin;
}

/** Parses "host[:port]", "https://host[:port]" or "http://127.0.0.1:5000" (an ECR proxyEndpoint looks like the second). */
export function parseRegistry(registry: string): RegistryEndpoint {
  const trimmed = registry.trim().replace(/\/+$/, "");
  const m = /^(https?):\/\/(.+)$/i.exec(trimmed);
  const scheme = m?.[1]?.toLowerCase();
  const rest = m?.[2] ?? trimmed;
  if (!rest || /[/?#@\s]/.test(rest)) {
    throw new UsageError(`Invalid registry "${registry}"`, {
      hint: "Give the registry as host[:port], e.g. ghcr.io.",
    });
  }
  let url: URL;
  try {
    url = new URL(`https://${rest}`);
  } catch {
    throw new UsageError(`Invalid registry "${registry}"`, { hint: "Give the registry as host[:port]." });
  }
  const host = url.host;
  const loopback = isLoopbackHost(url.hostname);
  if (scheme === "http" && !loopback) {
    throw new UsageError(`Refusing plain http for non-loopback registry ${host}`, {
      hint: "Only 127.0.0.0/8, ::1 and localhost may use http://; use https.",
    });
  }
  const https = new URL(`https://${host}`);
  const http = new URL(`http://${host}`);
  if (scheme === "https") return { host, candidates: [https] };
  if (scheme === "http") return { host, candidates: [http] };
  return { host, candidates: loopback ? [https, http] : [https] };
}
