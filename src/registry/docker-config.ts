import { spawn } from "node:child_process";
import { constants } from "node:fs";
import { access, readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { ConfigError } from "../errors.js";
import type { Credentials, CredentialsProvider } from "./types.js";

/**
 * Credentials from Docker's client config: `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`,
 * read when a push asks (never at import). Order per host: `credHelpers[host]`, then `credsStore`, then
 * the inline `auths` entry (`auth` = base64 user:pass, or `username`/`password`, or `identitytoken`).
 * A helper whose binary is not on PATH is skipped; no entry means anonymous.
 */

export interface DockerConfigOptions {
  /** Environment to read DOCKER_CONFIG, HOME and PATH from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Home directory when DOCKER_CONFIG is unset (default os.homedir()). */
  homeDir?: string;
}

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

interface DockerConfigFile {
  auths?: Record<string, AuthEntry>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** The config.json path Docker would use. */
export function dockerConfigPath(options: DockerConfigOptions = {}): string {
  const env = options.env ?? process.env;
  const dir = env.DOCKER_CONFIG || join(options.homeDir ?? homedir(), ".docker");
  return join(dir, "config.json");
}

/** "https://index.docker.io/v1/" → "index.docker.io"; "host:5000/" → "host:5000". */
export function normalizeHost(key: string): string {
  const host = key
    .replace(/^[a-z]+:\/\//i, "")
    .replace(/\/.*$/, "")
    .toLowerCase();
  return host === "docker.io" || host === "registry-1.docker.io" ? "index.docker.io" : host;
}

async function readConfig(path: string): Promise<DockerConfigFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new ConfigError(`Cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as DockerConfigFile;
  } catch {
    // Never echo the file: it holds credentials.
    throw new ConfigError(`${path} is not valid JSON`, { hint: "Fix or remove the Docker config file." });
  }
}

function fromEntry(entry: AuthEntry | undefined): Credentials | undefined {
  if (!entry) return undefined;
  if (entry.identitytoken)
    return { kind: "identity-token", username: entry.username, token: entry.identitytoken };
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
    const i = decoded.indexOf(":");
    if (i > 0) return { kind: "basic", username: decoded.slice(0, i), password: decoded.slice(i + 1) };
  }
  if (entry.username && entry.password)
    return { kind: "basic", username: entry.username, password: entry.password };
  return undefined;
}

async function findOnPath(name: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** Runs `docker-credential-<helper> get` with the host on stdin; undefined when it has nothing. */
export async function runCredentialHelper(
  helper: string,
  host: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Credentials | undefined> {
  const bin = await findOnPath(`docker-credential-${helper}`, env);
  if (!bin) return undefined;
  const out = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
    const child = spawn(bin, ["get"], { env, stdio: ["pipe", "pipe", "ignore"], timeout: 30_000 });
    let stdout = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout }));
    child.stdin.end(host);
  });
  // Exit 1 with "credentials not found" is the helper protocol's "no entry"; never echo its output.
  if (out.code !== 0) return undefined;
  let parsed: { Username?: string; Secret?: string };
  try {
    parsed = JSON.parse(out.stdout) as typeof parsed;
  } catch {
    throw new ConfigError(`docker-credential-${helper} answered something that is not JSON`);
  }
  if (!parsed.Secret) return undefined;
  // The protocol marks an identity token with the username "<token>".
  if (parsed.Username === "<token>") return { kind: "identity-token", token: parsed.Secret };
  return { kind: "basic", username: parsed.Username ?? "", password: parsed.Secret };
}

/** Credentials for `host` from the Docker config, or undefined (anonymous). */
export async function dockerCredentials(
  host: string,
  options: DockerConfigOptions = {},
): Promise<Credentials | undefined> {
  const env = options.env ?? process.env;
  const config = await readConfig(dockerConfigPath(options));
  if (!config) return undefined;
  const want = normalizeHost(host);
  const helperKey = Object.keys(config.credHelpers ?? {}).find((k) => normalizeHost(k) === want);
  const helper = helperKey === undefined ? undefined : config.credHelpers?.[helperKey];
  // Stores are keyed by the server name used at login: the bare host, except Docker Hub's legacy URL.
  const serverName = want === "index.docker.io" ? "https://index.docker.io/v1/" : host;
  const helpers: [string | undefined, string][] = [
    [helper, helperKey ?? host],
    [config.credsStore, serverName],
  ];
  for (const [name, server] of helpers) {
    if (!name) continue;
    const found = await runCredentialHelper(name, server, env);
    if (found) return found;
  }
  const authKey = Object.keys(config.auths ?? {}).find((k) => normalizeHost(k) === want);
  return fromEntry(authKey === undefined ? undefined : config.auths?.[authKey]);
}

/** A CredentialsProvider backed by the Docker config; the file is read at each resolve. */
export function dockerConfigProvider(options: DockerConfigOptions = {}): CredentialsProvider {
  return { resolve: (host) => dockerCredentials(host, options) };
}
