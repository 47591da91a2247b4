import type { Readable } from "node:stream";
import { InterruptedError, RegistryError } from "../errors.js";
import { Authenticator } from "./auth.js";
import { parseRegistry, type RegistryEndpoint } from "./endpoint.js";
import type { Operation } from "./errors.js";
import { httpError, networkError } from "./errors.js";
import { type HttpResponse, header, Transport } from "./http.js";
import type { CredentialsProvider } from "./types.js";

/**
 * One repository on one registry, speaking the OCI distribution API: ping + auth, then `send` for each
 * request with the right Authorization attached (only for the registry's own host), a single
 * re-authentication on 401 for token-based registries, and RegistryError values for anything unexpected.
 */

export interface RegistryClientOptions {
  /** "host[:port]"; "http://" or "https://" prefixes are accepted (http only for loopback). */
  registry: string;
  repository: string;
  auth?: CredentialsProvider;
  /** A repository to mount blobs from; its pull scope is requested alongside ours. */
  sourceRepository?: string;
  ca?: string | Buffer;
  signal?: AbortSignal;
  transport?: Transport;
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
  maxBodyBytes?: number;
}

export class RegistryClient {
  readonly host: string;
  readonly repository: string;
  private readonly endpoint: RegistryEndpoint;
  private readonly transport: Transport;
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
    this.transport = options.transport ?? new Transport(options.ca === undefined ? {} : { ca: options.ca });
    const scopes = [`repository:${options.repository}:pull,push`];
    if (options.sourceRepository && options.sourceRepository !== options.repository) {
      scopes.push(`repository:${options.sourceRepository}:pull`);
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
        res = await this.transport.request({ method: "GET", url, signal: this.signal, maxBodyBytes: 4096 });
      } catch (err) {
        if (err instanceof InterruptedError || err instanceof RegistryError) throw err;
        lastError = networkError(err, ctx);
        // Only a loopback host has a second candidate (http after https); a refused port fails both.
        const code = String((err as NodeJS.ErrnoException).code ?? "");
        if (code === "ECONNREFUSED" || /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) break;
        continue;
      }
      if (res.status === 401) this.auth.setChallenge(header(res, "www-authenticate"));
      else if (res.status !== 200) throw httpError({ ...ctx, status: res.status, body: res.body });
      this.base = base;
      return base;
    }
    throw lastError ?? new RegistryError(`No usable endpoint for ${this.host}`);
  }

  /** Resolves a path or absolute URL against the registry base. */
  url(target: string | URL): URL {
    if (!this.base) throw new Error("RegistryClient.url() before ping()");
    return target instanceof URL ? target : new URL(target, this.base);
  }

  async send(opts: SendOptions): Promise<HttpResponse> {
    await this.ping();
    const url = this.url(opts.target);
    for (let authTry = 0; ; authTry++) {
      const headers: Record<string, string> = { ...opts.headers };
      const schemeBefore = this.auth.scheme;
      // Credentials go to the registry host only, never to a storage host named in a Location.
      if (url.host === this.host) {
        const authz = await this.auth.authorization();
        if (authz) headers.authorization = authz;
      }
      let res: HttpResponse;
      try {
        res = await this.transport.request({
          method: opts.method,
          url,
          headers,
          body: opts.body,
          signal: this.signal,
          onProgress: opts.onProgress,
          maxBodyBytes: opts.maxBodyBytes ?? 1024 * 1024,
        });
      } catch (err) {
        if (err instanceof InterruptedError || err instanceof RegistryError) throw err;
        throw networkError(err, { ...opts, url, host: this.host, secrets: this.secrets() });
      }
      if (opts.expect.includes(res.status)) return res;
      // A token can expire or lack a scope; Basic credentials that fail once will fail again.
      if (res.status === 401 && authTry === 0 && schemeBefore !== "basic") {
        this.auth.setChallenge(header(res, "www-authenticate"));
        if (this.auth.scheme !== "none") continue;
      }
      throw httpError({
        ...opts,
        url,
        status: res.status,
        body: res.body,
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
