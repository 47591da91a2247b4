import { InterruptedError, RegistryError } from "../errors.js";
import { isIP } from "node:net";
import { sameOrigin } from "./endpoint.js";
import { httpError, networkError, redactUrl } from "./errors.js";
import type { Transport } from "./http.js";
import type { Credentials, CredentialsProvider } from "./types.js";
import { basicValue, secretsOf } from "./types.js";

/**
 * The registry auth handshake: the /v2/ ping tells us "none", "Basic" (send credentials on every request,
 * as ECR wants) or "Bearer" (trade credentials for a short-lived token at the realm, refresh on 401).
 * Every secret seen is remembered so error text can be scrubbed of it.
 */

export interface Challenge {
  scheme: "basic" | "bearer";
  params: Record<string, string>;
}

/** Parses a WWW-Authenticate header; the first Basic or Bearer challenge wins. */
export function parseChallenge(value: string | undefined): Challenge | undefined {
  if (!value) return undefined;
  const m = /^\s*(basic|bearer)\b\s*(.*)$/i.exec(value);
  if (!m) return undefined;
  const scheme = m[1]?.toLowerCase() === "basic" ? "basic" : "bearer";
  const params: Record<string, string> = {};
  const re = /([A-Za-z_][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (let p = re.exec(m[2] ?? ""); p; p = re.exec(m[2] ?? "")) {
    const key = p[1]?.toLowerCase();
    if (key) params[key] = (p[2] ?? p[3] ?? "").replace(/\\(.)/g, "$1");
  }
  return { scheme, params };
}

/** Second-level labels that are public suffixes under a country code (co.uk, com.au, …): never "one site". */
const PUBLIC_SECOND_LEVEL = /^(?:co|com|net|org|gov|edu|ac|or|ne|go|gv|mil)\.[a-z]{2}$/;

/** The parent domain of a DNS name (`registry-1.docker.io` → `docker.io`), when it can stand for one site. */
function parentSite(hostname: string): string | undefined {
  const h = hostname.toLowerCase().replace(/\.$/, "");
  if (isIP(h.replace(/^\[|\]$/g, "")) !== 0 || h === "localhost") return undefined;
  const labels = h.split(".");
  const parent = labels.slice(1).join(".");
  if (labels.length < 3 || PUBLIC_SECOND_LEVEL.test(parent)) return labels.length === 2 ? h : undefined;
  return parent;
}

/**
 * Whether the registry's credentials may go to a token realm: the registry's own origin, or an https realm
 * on another host of the same site, on the default port (Docker Hub's auth.docker.io for registry-1.docker.io,
 * gitlab.com for registry.gitlab.com).
 * Any other host, port or scheme is not where the user's credentials were meant to go.
 */
export function realmMayGetCredentials(realm: URL, registry: URL): boolean {
  if (sameOrigin(realm, registry)) return true;
  // The same host on another port or scheme is another service: only another host of the same site counts.
  if (realm.protocol !== "https:" || realm.hostname === registry.hostname) return false;
  if (realm.port !== "" && realm.port !== registry.port) return false;
  const a = parentSite(realm.hostname);
  const b = parentSite(registry.hostname);
  return a !== undefined && a === b;
}

interface TokenState {
  value: string;
  expiresAt: number;
}

export class Authenticator {
  private challenge: Challenge | undefined;
  private credentials: Credentials | undefined;
  private resolved = false;
  private token: TokenState | undefined;
  private pending: Promise<TokenState> | undefined;
  private readonly known = new Set<string>();
  private origin: URL | undefined;

  constructor(
    private readonly transport: Transport,
    private readonly host: string,
    private readonly provider: CredentialsProvider | undefined,
    /** Scopes to request, e.g. ["repository:app:pull,push", "repository:base:pull"]. */
    private readonly scopes: string[],
    private readonly signal?: AbortSignal,
  ) {}

  /** Secrets to scrub from any text: passwords, encoded Basic values, tokens. */
  secrets(): string[] {
    return [...this.known];
  }

  /** The base URL the registry answered on: the origin its credentials are bound to. */
  setOrigin(base: URL): void {
    this.origin = base;
  }

  /** Records the challenge from a 401 (the ping's, or a later one) and forgets any stale token. */
  setChallenge(value: string | undefined): void {
    const parsed = parseChallenge(value);
    if (parsed) this.challenge = parsed;
    this.token = undefined;
  }

  get scheme(): "none" | "basic" | "bearer" {
    return this.challenge?.scheme ?? "none";
  }

  /** The Authorization header value for the registry host, or undefined for anonymous. */
  async authorization(): Promise<string | undefined> {
    if (!this.challenge) return undefined;
    const creds = await this.creds();
    if (this.challenge.scheme === "basic") {
      if (creds?.kind !== "basic") {
        throw new RegistryError(`${this.host} requires credentials and none were found`, {
          code: "E_REGISTRY_AUTH",
          status: 401,
          registryCode: "UNAUTHORIZED",
          hint: `Log in to ${this.host} (docker login, or an auths entry in $DOCKER_CONFIG/config.json).`,
        });
      }
      return this.remember(`Basic ${basicValue(creds)}`);
    }
    const now = Date.now();
    if (!this.token || this.token.expiresAt <= now) {
      this.pending ??= this.fetchToken(creds).finally(() => {
        this.pending = undefined;
      });
      this.token = await this.pending;
    }
    return `Bearer ${this.token.value}`;
  }

  private async creds(): Promise<Credentials | undefined> {
    if (!this.resolved) {
      this.credentials = await this.provider?.resolve(this.host);
      this.resolved = true;
      for (const s of secretsOf(this.credentials)) this.known.add(s);
    }
    return this.credentials;
  }

  private remember(value: string): string {
    this.known.add(value);
    const bare = value.replace(/^\S+\s+/, "");
    if (bare.length >= 8) this.known.add(bare);
    return value;
  }

  private async fetchToken(found: Credentials | undefined): Promise<TokenState> {
    const params = this.challenge?.params ?? {};
    const realm = params.realm;
    if (!realm) throw new RegistryError(`${this.host} sent a Bearer challenge without a realm`);
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new RegistryError(`${this.host} sent a Bearer challenge with an invalid realm`, {
        code: "E_REGISTRY_AUTH",
      });
    }
    const registry = this.origin ?? new URL(`https://${this.host}`);
    // A realm elsewhere still gets asked, anonymously: public repositories work, secrets stay home.
    const withheld = found !== undefined && !realmMayGetCredentials(url, registry);
    const creds = withheld ? undefined : found;
    if (params.service) url.searchParams.set("service", params.service);
    for (const s of this.scopes) url.searchParams.append("scope", s);
    const headers: Record<string, string> = { accept: "application/json" };
    let method = "GET";
    let body: Buffer | undefined;
    if (creds?.kind === "basic") {
      headers.authorization = this.remember(`Basic ${basicValue(creds)}`);
    } else if (creds?.kind === "identity-token") {
      // Docker's identitytoken is an OAuth2 refresh token: it is exchanged with a form POST, not Basic.
      method = "POST";
      headers["content-type"] = "application/x-www-form-urlencoded";
      const form = new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: creds.token,
        client_id: "mlpack",
      });
      if (params.service) form.set("service", params.service);
      form.set("scope", this.scopes.join(" "));
      body = Buffer.from(form.toString());
      url.search = "";
    }
    const ctx = { operation: "token" as const, method, url, host: url.host, secrets: this.secrets() };
    let res: Awaited<ReturnType<Transport["request"]>>;
    try {
      res = await this.transport.request({ method, url, headers, body, signal: this.signal });
    } catch (err) {
      if (err instanceof RegistryError || err instanceof InterruptedError) throw err;
      throw networkError(err, ctx);
    }
    if (res.status !== 200) {
      const err = httpError({ ...ctx, status: res.status, body: res.body, secrets: this.secrets() });
      if (!withheld) throw err;
      throw new RegistryError(err.message, {
        code: "E_REGISTRY_INSECURE",
        status: err.status,
        registryCode: err.registryCode,
        hint: `${this.host} sends logins to a token service at ${url.host}, another origin than the registry's (${registry.host}); mlpack does not send your credentials there.`,
      });
    }
    let parsed: { token?: string; access_token?: string; expires_in?: number };
    try {
      parsed = JSON.parse(res.body.toString()) as typeof parsed;
    } catch {
      throw new RegistryError(`Token endpoint ${redactUrl(url)} did not answer JSON`, {
        code: "E_REGISTRY_AUTH",
      });
    }
    const value = parsed.token ?? parsed.access_token;
    if (!value)
      throw new RegistryError(`Token endpoint ${redactUrl(url)} sent no token`, { code: "E_REGISTRY_AUTH" });
    this.remember(`Bearer ${value}`);
    this.known.add(value);
    // Spec default is 60 s; renew a little early so a request never starts with an expiring token.
    const ttl = Math.max(10, typeof parsed.expires_in === "number" ? parsed.expires_in : 60);
    return { value, expiresAt: Date.now() + (ttl - 5) * 1000 };
  }
}
