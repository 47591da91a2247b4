import http from "node:http";
import https from "node:https";
import type { Readable } from "node:stream";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { rootCertificates } from "node:tls";
import { InterruptedError, RegistryError } from "../errors.js";
import { pinnedLookup, sameOrigin } from "./endpoint.js";

/**
 * A small HTTP transport over node:http/https: keep-alive agents, an optional extra CA, streamed request
 * bodies with byte progress, GET/HEAD redirects that drop Authorization whenever the origin (scheme, host,
 * port) changes and never go from https to http, and deadlines on every phase of every request, so a
 * registry that goes silent, drips bytes or sends an endless body fails in bounded time.
 */

/**
 * How long each phase of a request may take. Bodies have idle limits, not totals, so a multi-GB blob to a
 * healthy slow registry still goes through; only buffered (JSON) answers have a total limit and a size cap.
 */
export interface Deadlines {
  /** TCP connect plus TLS handshake. */
  connectMs: number;
  /** From the end of the request body to the complete response headers. */
  firstByteMs: number;
  /** A streamed body (sent or received) that moves fewer than `minBytes` in this window has stalled. */
  idleMs: number;
  /** Bytes a streamed body must move per `idleMs` window: a slow drip counts as a stall. */
  minBytes: number;
  /** A whole buffered answer body (tokens, manifests, errors). */
  bodyMs: number;
}

export const DEFAULT_DEADLINES: Deadlines = {
  connectMs: 10_000,
  firstByteMs: 30_000,
  idleMs: 60_000,
  minBytes: 64 * 1024,
  bodyMs: 30_000,
};

/** Largest buffered answer by default (error bodies, upload answers); manifests and tokens pass their own. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export interface HttpRequest {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  /** A buffer, or a factory for a fresh stream (called once per request). */
  body?: Buffer | (() => Readable);
  signal?: AbortSignal;
  onProgress?: (bytesSent: number) => void;
  /** Largest buffered answer body; a longer one fails the request (a TransportError of phase "size"). */
  maxBodyBytes?: number;
  /** Overrides the first-byte deadline, e.g. for committing a multi-GB upload the registry re-reads. */
  firstByteMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** The URL that finally answered, after redirects. */
  url: URL;
}

/** An answer whose body is left to the caller as a stream (blob reads); stalls destroy it with an error. */
export interface StreamResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Readable;
  url: URL;
}

export interface TransportOptions {
  /** Extra CA certificate(s) trusted besides Node's roots and NODE_EXTRA_CA_CERTS. */
  ca?: string | Buffer;
  deadlines?: Partial<Deadlines>;
}

export type TransportPhase = "connect" | "first-byte" | "upload" | "body" | "size";

/** A deadline or size cap that ended a request; the client turns it into a RegistryError naming the step. */
export class TransportError extends Error {
  constructor(
    readonly phase: TransportPhase,
    /** Milliseconds for a deadline, bytes for the size cap. */
    readonly limit: number,
  ) {
    super(phase === "size" ? `answer larger than ${limit} bytes` : `${phase} deadline of ${limit} ms passed`);
  }
  get code(): string {
    return this.phase === "size" ? "ERESPONSETOOLARGE" : "ETIMEDOUT";
  }
}

const MAX_REDIRECTS = 5;

/**
 * "Sent" means handed to the kernel: up to several MiB of a body can still sit in socket buffers (ours and
 * a proxy's) when the request finishes, so the first-byte deadline grows with what may be in flight, at a
 * rate any healthy link manages.
 */
const IN_FLIGHT_MAX_BYTES = 16 * 1024 * 1024;
const IN_FLIGHT_BYTES_PER_SECOND = 256 * 1024;

function inFlightAllowanceMs(sent: number): number {
  return Math.ceil((Math.min(sent, IN_FLIGHT_MAX_BYTES) / IN_FLIGHT_BYTES_PER_SECOND) * 1000);
}

/** Fires `onStall` when fewer than `minBytes` moved in a window, unless `excused()` (the other side is slow). */
function watchdog(windowMs: number, minBytes: number, onStall: () => void, excused: () => boolean) {
  let moved = 0;
  let timer: NodeJS.Timeout | undefined;
  const check = () => {
    if (moved < minBytes && !excused()) return onStall();
    moved = 0;
    timer = setTimeout(check, windowMs);
  };
  timer = setTimeout(check, windowMs);
  return {
    add: (n: number) => {
      moved += n;
    },
    stop: () => clearTimeout(timer),
  };
}

export class Transport {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  private readonly httpsAgent: https.Agent;
  readonly deadlines: Deadlines;

  constructor(options: TransportOptions = {}) {
    // An explicit `ca` replaces Node's trust store, so keep the public roots next to it.
    const ca = options.ca ? [...rootCertificates, options.ca.toString()] : undefined;
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 16, ...(ca ? { ca } : {}) });
    this.deadlines = { ...DEFAULT_DEADLINES, ...options.deadlines };
  }

  /** One request whose answer body is read into memory (capped, with a total deadline). */
  async request(req: HttpRequest): Promise<HttpResponse> {
    const res = await this.follow(req);
    return this.buffer(res, req);
  }

  /** One request whose answer body is returned as a stream (idle deadline, no size cap). */
  async stream(req: HttpRequest): Promise<StreamResponse> {
    const res = await this.follow(req);
    return { status: res.status, headers: res.headers, body: this.guard(res.body), url: res.url };
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  /** Sends the request and follows GET/HEAD redirects; credentials never leave the origin they were for. */
  private async follow(req: HttpRequest): Promise<StreamResponse> {
    let url = req.url;
    let headers = { ...req.headers };
    for (let hop = 0; ; hop++) {
      const res = await this.once({ ...req, url, headers });
      const location = res.headers.location;
      const redirect = res.status >= 300 && res.status < 400 && location !== undefined;
      if (!redirect || hop >= MAX_REDIRECTS || (req.method !== "GET" && req.method !== "HEAD")) return res;
      res.body.resume();
      const next = new URL(location, url);
      if (next.protocol === "http:" && url.protocol === "https:") {
        throw new RegistryError(`Refusing a redirect from https to plain http (${next.host})`, {
          code: "E_REGISTRY_INSECURE",
          hint: `The registry at ${req.url.host} redirected to an insecure location; nothing was sent there.`,
        });
      }
      if (!sameOrigin(next, url)) {
        headers = Object.fromEntries(
          Object.entries(headers).filter(([k]) => k.toLowerCase() !== "authorization"),
        );
      }
      url = next;
    }
  }

  private buffer(res: StreamResponse, req: HttpRequest): Promise<HttpResponse> {
    const max = req.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    const { bodyMs } = this.deadlines;
    return new Promise<HttpResponse>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      const fail = (err: Error) => {
        clearTimeout(timer);
        res.body.destroy();
        reject(req.signal?.aborted ? new InterruptedError() : err);
      };
      const timer = setTimeout(() => fail(new TransportError("body", bodyMs)), bodyMs);
      res.body.on("data", (c: Buffer) => {
        kept += c.length;
        if (kept > max) return fail(new TransportError("size", max));
        chunks.push(c);
      });
      res.body.on("error", fail);
      res.body.on("end", () => {
        clearTimeout(timer);
        resolve({ status: res.status, headers: res.headers, body: Buffer.concat(chunks), url: res.url });
      });
    });
  }

  /** Destroys a streamed answer that stops moving, unless it is only waiting for its slow reader. */
  private guard(body: Readable): Readable {
    const { idleMs, minBytes } = this.deadlines;
    const dog = watchdog(
      idleMs,
      minBytes,
      () => body.destroy(new TransportError("body", idleMs)),
      () => body.isPaused() || body.readableLength >= body.readableHighWaterMark,
    );
    body.on("data", (c: Buffer) => dog.add(c.length));
    body.once("close", dog.stop);
    body.once("end", dog.stop);
    return body;
  }

  private once(req: HttpRequest & { url: URL }): Promise<StreamResponse> {
    const { url, signal } = req;
    if (signal?.aborted) return Promise.reject(new InterruptedError());
    const d = this.deadlines;
    const isHttps = url.protocol === "https:";
    const mod = isHttps ? https : http;
    const headers: Record<string, string> = { ...req.headers };
    if (Buffer.isBuffer(req.body)) headers["content-length"] = String(req.body.length);
    else if (req.body === undefined && ["PUT", "POST", "PATCH"].includes(req.method))
      headers["content-length"] = "0";

    return new Promise<StreamResponse>((resolve, reject) => {
      let settled = false;
      let phaseTimer: NodeJS.Timeout | undefined;
      let upload: ReturnType<typeof watchdog> | undefined;
      const clear = () => {
        clearTimeout(phaseTimer);
        upload?.stop();
      };
      const fail = (err: unknown) => {
        clear();
        if (settled) return;
        settled = true;
        reject(signal?.aborted ? new InterruptedError() : err);
      };
      const r = mod.request(url, {
        method: req.method,
        headers,
        agent: isHttps ? this.httpsAgent : this.httpAgent,
        lookup: pinnedLookup,
        ...(signal ? { signal } : {}),
      });
      const expire = (phase: TransportPhase, ms: number) => {
        clearTimeout(phaseTimer);
        phaseTimer = setTimeout(() => r.destroy(new TransportError(phase, ms)), ms);
      };
      expire("connect", d.connectMs);
      r.on("socket", (socket) => {
        if (r.reusedSocket) return clearTimeout(phaseTimer);
        socket.once(isHttps ? "secureConnect" : "connect", () => clearTimeout(phaseTimer));
      });
      let sent = Buffer.isBuffer(req.body) ? req.body.length : 0;
      // The request is on the wire: the registry now has firstByteMs to send its headers.
      r.on("finish", () => {
        upload?.stop();
        if (!settled) expire("first-byte", (req.firstByteMs ?? d.firstByteMs) + inFlightAllowanceMs(sent));
      });
      r.on("error", fail);
      r.on("response", (res) => {
        clear();
        if (settled) return res.destroy();
        settled = true;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res, url });
      });
      if (Buffer.isBuffer(req.body)) {
        r.end(req.body);
      } else if (req.body) {
        // Stalled only when the socket is backed up; a slow source is the source's own deadline to catch.
        upload = watchdog(
          d.idleMs,
          d.minBytes,
          () => r.destroy(new TransportError("upload", d.idleMs)),
          () => !r.writableNeedDrain,
        );
        const counter = new Transform({
          transform(chunk: Buffer, _enc, cb) {
            sent += chunk.length;
            upload?.add(chunk.length);
            req.onProgress?.(sent);
            cb(null, chunk);
          },
        });
        // A server may answer (e.g. 401) before reading the whole body; the response decides then.
        pipeline(req.body(), counter, r).catch((err: unknown) => {
          if (!settled) fail(err);
        });
      } else {
        r.end();
      }
    });
  }
}

/** Reads one header as a string (Node gives arrays for repeated headers). */
export function header(res: { headers: http.IncomingHttpHeaders }, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
