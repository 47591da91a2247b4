import { isIP } from "node:net";
import { UsageError } from "../errors.js";

/**
 * Where a registry lives. `http://` is allowed only for loopback hosts; anything else is https.
 * A bare loopback "host[:port]" has no known scheme yet: the client tries https first, then http.
 */
export interface RegistryEndpoint {
  /** "host[:port]" as it appears in image references. */
  host: string;
  /** Candidate base URLs in the order to try ("https://host", then "http://host" for loopback). */
  candidates: URL[];
}

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  if (isIP(h) === 6) return h === "::1" || h === "0:0:0:0:0:0:0:1";
  return false;
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
