import type { Readable } from "node:stream";
import { InterruptedError, RegistryError } from "../errors.js";
import { Authenticator } from "./auth.js";
import { parseRegistry, type RegistryEndpoint, sameOrigin } from "./endpoint.js";
import type { Operation } from "./errors.js";
import { httpError, networkError, redactUrl } from "./errors.js";
import {
  type Deadlines,
  DEFAULT_MAX_BODY_BYTES,
  type HttpRequest,
  type HttpResponse,
  header,
  type StreamResponse,
  Transport,
} from "./http.js";
import type { CredentialsProvider } from "./types.js";

/**
 * One repository on one registry, speaking the OCI distribution API: ping + auth, then `send` for each
 * request with the right Authorization attached — only when the request goes to the origin (scheme, host,
 * port) the registry answered on — a single re-authentication on 401 for token-based registries, and
 * RegistryError values for anything unexpected.
 */

export interface RegistryClientOptions {
  /** "host[:port]"; "http://" or "https://" prefixes are accepted (http only for loopback). */
  registry: string;
  repository: string;
  auth?: CredentialsProvider;
  /** A repository to mount blobs from; its pull scope is requested alongside ours. */
  sourceRepository?: string;
  /** More repositories on this registry to read or mount from (pull scope each). */
  sourceRepositories?: readonly string[];
  ca?: string | Buffer;
  signal?: AbortSignal;
  transport?: Transport;
  /** Shorter or longer deadlines than DEFAULT_DEADLINES (tests, very slow links). */
  deadlines?: Partial<Deadlines>;
}

export interface SendOptions {
  operation: Operation;
  method: string;
  /** "/v2/…" under the registry, or an absolute URL such as an upload Location. */
  target: string | URL;
  headers?: Record<string, string>;
  body?: Buffer | (() => Readable);
  /** Statuses that count as success; anything else becomes a RegistryError. */
  expect: readonly number[];
  onProgress?: (bytesSent: number) => void;
  /** Largest answer body accepted (default 1 MiB); a longer one is an error, never read to its end. */
  maxBodyBytes?: number;
  firstByteMs?: number;
}

const PING_MAX_BODY = 64 * 1024;

export class RegistryClient {
  readonly host: string;
  readonly repository: string;
  readonly transport: Transport;
  private readonly endpoint: RegistryEndpoint;
  private readonly ownsTransport: boolean;
  private readonly auth: Authenticator;
  private readonly signal: AbortSignal | undefined;
  private base: URL | undefined;
  private pinging: Promise<URL> | undefined;

  constructor(options: RegistryClientOptions) {
    this.endpoint = parseRegistry(options.registry);
    this.host = this.endpoint.host;
    this.repository = options.repository;
    this.signal = options.signal;
    this.ownsTransport = options.transport === undefined;
    this.transport =
      options.transport ??
      new Transport({
        ...(options.ca === undefined ? {} : { ca: options.ca }),
        ...(options.deadlines ? { deadlines: options.deadlines } : {}),
      });
    const scopes = [`repository:${options.repository}:pull,push`];
    const sources = [options.sourceRepository, ...(options.sourceRepositories ?? [])];
    for (const source of new Set(sources)) {
      if (source && source !== options.repository) scopes.push(`repository:${source}:pull`);
    }
    this.auth = new Authenticator(this.transport, this.host, options.auth, scopes, options.signal);
  }

  /** Secrets seen so far (passwords, tokens), for scrubbing any text that leaves this module. */
  secrets(): string[] {
    return this.auth.secrets();
  }

  /** `GET /v2/`: finds the working scheme (https, or http for loopback) and the auth challenge. */
  ping(): Promise<URL> {
    this.pinging ??= this.doPing().catch((err: unknown) => {
      this.pinging = undefined;
      throw err;
    });
    return this.pinging;
  }

  private async doPing(): Promise<URL> {
    let lastError: unknown;
    for (const base of this.endpoint.candidates) {
      const url = new URL("/v2/", base);
      const ctx = { operation: "ping" as const, method: "GET", url, host: this.host };
      let res: HttpResponse;
      try {
        res = await this.transport.request({
          method: "GET",
          url,
          signal: this.signal,
          maxBodyBytes: PING_MAX_BODY,
        });
      } catch (err) {
        if (err instanceof InterruptedError || err instanceof RegistryError) throw err;
        lastError = networkError(err, ctx);
        if ((lastError as RegistryError).code === "E_REGISTRY_RESPONSE_TOO_LARGE") break;
        // Only a loopback host has a second candidate (http after https); a refused port fails both.
        const code = String((err as NodeJS.ErrnoException).code ?? "");
        if (code === "ECONNREFUSED" || /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) break;
        continue;
      }
      if (res.status === 401) this.auth.setChallenge(header(res, "www-authenticate"));
      else if (res.status !== 200) throw httpError({ ...ctx, status: res.status, body: res.body });
      this.base = base;
      this.auth.setOrigin(base);
      return base;
    }
    throw lastError ?? new RegistryError(`No usable endpoint for ${this.host}`);
  }

  /** Resolves a path or absolute URL against the registry base. */
  url(target: string | URL): URL {
    if (!this.base) throw new Error("RegistryClient.url() before ping()");
    return target instanceof URL ? target : new URL(target, this.base);
  }

  /** A request whose answer is read into memory (capped); non-`expect` statuses throw RegistryError. */
  async send(opts: SendOptions): Promise<HttpResponse> {
    return this.exchange(opts, (req) => this.transport.request(req));
  }

  /** A request whose answer body stays a stream (blob reads); on a non-`expect` status it throws. */
  async stream(opts: Omit<SendOptions, "body" | "onProgress">): Promise<StreamResponse> {
    return this.exchange(opts, (req) => this.transport.stream(req));
  }

  private async exchange<R extends { status: number; headers: HttpResponse["headers"]; body: unknown }>(
    opts: Omit<SendOptions, "body" | "onProgress"> & Partial<Pick<SendOptions, "body" | "onProgress">>,
    run: (req: HttpRequest) => Promise<R>,
  ): Promise<R> {
    const base = await this.ping();
    const url = this.url(opts.target);
    if (url.protocol === "http:" && base.protocol === "https:") {
      throw new RegistryError(
        `${this.host} sent ${describe(opts.operation)} to plain http (${redactUrl(url)}); refusing`,
        {
          code: "E_REGISTRY_INSECURE",
          hint: `The registry at ${this.host} speaks https but pointed an upload at http://; nothing was sent there. Check for a misconfigured proxy in front of the registry.`,
        },
      );
    }
    for (let authTry = 0; ; authTry++) {
      const headers: Record<string, string> = { ...opts.headers };
      const schemeBefore = this.auth.scheme;
      // Credentials are bound to the registry's origin: a Location on another scheme, host or port
      // (a storage host, a CDN, or something hostile) is followed without them.
      if (sameOrigin(url, base)) {
        const authz = await this.auth.authorization();
        if (authz) headers.authorization = authz;
      }
      let res: R;
      try {
        res = await run({
          method: opts.method,
          url,
          headers,
          body: opts.body,
          signal: this.signal,
          onProgress: opts.onProgress,
          maxBodyBytes: opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
          ...(opts.firstByteMs === undefined ? {} : { firstByteMs: opts.firstByteMs }),
        });
      } catch (err) {
        if (err instanceof InterruptedError || err instanceof RegistryError) throw err;
        throw networkError(err, { ...opts, url, host: this.host, secrets: this.secrets() });
      }
      if (opts.expect.includes(res.status)) return res;
      // An error answer read as a stream: keep what it says (small) so the error carries the registry's code.
      const body = Buffer.isBuffer(res.body) ? res.body : await readCapped(res.body as Readable, 64 * 1024);
      // A token can expire or lack a scope; Basic credentials that fail once will fail again.
      if (res.status === 401 && authTry === 0 && schemeBefore !== "basic") {
        this.auth.setChallenge(header(res, "www-authenticate"));
        if (this.auth.scheme !== "none") continue;
      }
      throw httpError({
        ...opts,
        url,
        status: res.status,
        body,
        host: this.host,
        repository: this.repository,
        secrets: this.secrets(),
      });
    }
  }

  /** The Location of an upload response, absolute or relative, with its query parameters intact. */
  location(res: HttpResponse, operation: Operation): URL {
    const loc = header(res, "location");
    if (!loc) {
      throw new RegistryError(`${this.host} answered ${operation} without a Location header`, {
        status: res.status,
        retryable: true,
        hint: "The registry did not follow the distribution spec; try again.",
      });
    }
    return new URL(loc, res.url);
  }

  close(): void {
    if (this.ownsTransport) this.transport.close();
  }
}

function describe(operation: Operation): string {
  return operation.replace(/-/g, " ");
}

/** Reads at most `max` bytes of a stream (an error answer) and destroys the rest. */
async function readCapped(body: Readable, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const chunk of body) {
      chunks.push(chunk as Buffer);
      n += (chunk as Buffer).length;
      if (n >= max) break;
    }
  } catch {
    // a broken error body is still an error answer; its status says enough
  } finally {
    body.destroy();
  }
  return Buffer.concat(chunks).subarray(0, max);
}
