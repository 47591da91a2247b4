import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { trackRepository } from "./cleanup.js";
import { testEnv } from "./env.js";

/** `http://<MLPACK_TEST_REGISTRY><path>` for the plain-HTTP registry. */
export function registryUrl(path = "/v2/"): string {
  return `http://${testEnv().registry}${path}`;
}

/** `https://<MLPACK_TEST_TLS_REGISTRY><path>` for the TLS + basic-auth registry. */
export function tlsRegistryUrl(path = "/v2/"): string {
  return `https://${testEnv().tlsRegistry}${path}`;
}

/**
 * A repository name no other test uses, e.g. `test/infra-k3j9x2`, so parallel files never collide; what is
 * pushed to it is deleted when the test file ends (support/cleanup.ts).
 */
export function uniqueRepo(prefix: string): string {
  return trackRepository(`test/${prefix}-${Math.random().toString(36).slice(2, 8)}`);
}

/** `fetch` against the plain registry (`path` relative to its root, or a full URL) with a timeout. */
export async function fetchRegistry(
  path = "/v2/",
  init: RequestInit & { timeoutMs?: number } = {},
): Promise<Response> {
  const { timeoutMs = 10_000, ...rest } = init;
  const url = path.startsWith("http") ? path : registryUrl(path);
  return fetch(url, { ...rest, signal: rest.signal ?? AbortSignal.timeout(timeoutMs) });
}

export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}

export interface TlsResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface TlsRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** true: the MLPACK_TEST_TLS_USER/PASSWORD credentials; an object: these ones; omitted: anonymous. */
  auth?: true | { user: string; password: string };
  /** PEM to trust; defaults to MLPACK_TEST_TLS_CA. `null` trusts only the system CAs. */
  ca?: string | null;
  timeoutMs?: number;
}

/** The TLS registry's self-signed certificate (PEM), to pass as `ca` to node's TLS. */
export function tlsCaPem(): string {
  return readFileSync(testEnv().tlsCa, "utf8");
}

/** Directory with the CA as `ca.crt`, for `skopeo --cert-dir` / containers-image (setup.sh puts it there). */
export function tlsCertDir(): string {
  return dirname(testEnv().tlsCa);
}

/** One request to the TLS registry with node's https and an explicit CA (no global TLS settings touched). */
export function tlsRequest(path: string, opts: TlsRequestOptions = {}): Promise<TlsResponse> {
  const env = testEnv();
  const url = new URL(path.startsWith("https:") ? path : tlsRegistryUrl(path));
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.auth !== undefined) {
    const creds = opts.auth === true ? { user: env.tlsUser, password: env.tlsPassword } : opts.auth;
    headers.authorization = basicAuth(creds.user, creds.password);
  }
  const ca = opts.ca === undefined ? tlsCaPem() : (opts.ca ?? undefined);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: opts.method ?? "GET", headers, ca, timeout: opts.timeoutMs ?? 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on("timeout", () => req.destroy(new Error(`timeout after ${opts.timeoutMs ?? 10_000} ms: ${url}`)));
    req.on("error", reject);
    req.end(opts.body);
  });
}

export interface DockerConfigDir {
  /** Pass as DOCKER_CONFIG; holds `config.json`. */
  dir: string;
  cleanup: () => Promise<void>;
}

/**
 * Writes a temp docker `config.json` whose `auths` hold basic credentials for the TLS registry (the
 * MLPACK_TEST_TLS_* ones unless given) and returns its directory for `DOCKER_CONFIG`.
 */
export async function writeTlsDockerConfig(
  creds: { user: string; password: string } = { user: testEnv().tlsUser, password: testEnv().tlsPassword },
): Promise<DockerConfigDir> {
  const dir = await mkdtemp(join(tmpdir(), "mlpack-docker-config-"));
  const auth = Buffer.from(`${creds.user}:${creds.password}`).toString("base64");
  const config = { auths: { [testEnv().tlsRegistry]: { auth } } };
  await writeFile(join(dir, "config.json"), `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
