import http from "node:http";
import https from "node:https";
import type { Readable } from "node:stream";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { rootCertificates } from "node:tls";
import { InterruptedError, RegistryError } from "../errors.js";
import { isLoopbackHost } from "./endpoint.js";

/**
 * A small HTTP transport over node:http/https: keep-alive agents, an optional extra CA, streamed request
 * bodies with byte progress, and GET/HEAD redirects that drop Authorization when the host changes
 * (registries redirect blob reads to S3 or a CDN; credentials must never follow).
 */

export interface HttpRequest {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  /** A buffer, or a factory for a fresh stream (called once per request). */
  body?: Buffer | (() => Readable);
  signal?: AbortSignal;
  onProgress?: (bytesSent: number) => void;
  /** Largest response body kept in memory (default 16 MiB); the rest is discarded. */
  maxBodyBytes?: number;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** The URL that finally answered, after redirects. */
  url: URL;
}

export interface TransportOptions {
  /** Extra CA certificate(s) trusted besides Node's roots and NODE_EXTRA_CA_CERTS. */
  ca?: string | Buffer;
  /** Idle socket timeout (default 300 s: finishing a multi-GB layer can keep a registry silent a while). */
  timeoutMs?: number;
}

const MAX_REDIRECTS = 5;

export class Transport {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  private readonly httpsAgent: https.Agent;
  private readonly timeoutMs: number;

  constructor(options: TransportOptions = {}) {
    // An explicit `ca` replaces Node's trust store, so keep the public roots next to it.
    const ca = options.ca ? [...rootCertificates, options.ca.toString()] : undefined;
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 16, ...(ca ? { ca } : {}) });
    this.timeoutMs = options.timeoutMs ?? 300_000;
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    let url = req.url;
    let headers = { ...req.headers };
    const originHost = url.host;
    for (let hop = 0; ; hop++) {
      const res = await this.once({ ...req, url, headers });
      const location = res.headers.location;
      const redirect = res.status >= 300 && res.status < 400 && location !== undefined;
      if (!redirect || hop >= MAX_REDIRECTS || (req.method !== "GET" && req.method !== "HEAD")) return res;
      const next = new URL(location, url);
      if (next.protocol === "http:" && url.protocol === "https:" && !isLoopbackHost(next.hostname)) {
        throw new RegistryError(`Refusing a redirect from https to plain http (${next.host})`, {
          hint: "The registry redirected to an insecure location.",
        });
      }
      if (next.host !== originHost) {
        headers = Object.fromEntries(
          Object.entries(headers).filter(([k]) => k.toLowerCase() !== "authorization"),
        );
      }
      url = next;
    }
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private once(req: HttpRequest & { url: URL }): Promise<HttpResponse> {
    const { url, signal } = req;
    if (signal?.aborted) return Promise.reject(new InterruptedError());
    const isHttps = url.protocol === "https:";
    const mod = isHttps ? https : http;
    const headers: Record<string, string> = { ...req.headers };
    if (Buffer.isBuffer(req.body)) headers["content-length"] = String(req.body.length);
    else if (req.body === undefined && ["PUT", "POST", "PATCH"].includes(req.method))
      headers["content-length"] = "0";

    return new Promise<HttpResponse>((resolve, reject) => {
      let settled = false;
      let answered = false;
      const fail = (err: unknown) => {
        if (settled) return;
        settled = true;
        reject(signal?.aborted ? new InterruptedError() : err);
      };
      const r = mod.request(url, {
        method: req.method,
        headers,
        agent: isHttps ? this.httpsAgent : this.httpAgent,
        timeout: this.timeoutMs,
        ...(signal ? { signal } : {}),
      });
      r.on("timeout", () => r.destroy(Object.assign(new Error("request timed out"), { code: "ETIMEDOUT" })));
      r.on("error", fail);
      r.on("response", (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        let kept = 0;
        const max = req.maxBodyBytes ?? 16 * 1024 * 1024;
        res.on("data", (c: Buffer) => {
          if (kept < max) chunks.push(c);
          kept += c.length;
        });
        res.on("error", fail);
        res.on("end", () => {
          if (settled) return;
          settled = true;
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), url });
        });
      });
      if (Buffer.isBuffer(req.body)) {
        r.end(req.body);
      } else if (req.body) {
        let sent = 0;
        const counter = new Transform({
          transform(chunk: Buffer, _enc, cb) {
            sent += chunk.length;
            req.onProgress?.(sent);
            cb(null, chunk);
          },
        });
        // A server may answer (e.g. 401) before reading the whole body; the response decides then.
        pipeline(req.body(), counter, r).catch((err: unknown) => {
          if (!answered) fail(err);
        });
      } else {
        r.end();
      }
    });
  }
}

/** Reads one header as a string (Node gives arrays for repeated headers). */
export function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
