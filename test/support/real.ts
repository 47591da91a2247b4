import { access } from "node:fs/promises";
import { describe, it } from "vitest";
import { imageExists, pingDocker } from "./docker.js";
import { isCi, testEnv } from "./env.js";
import { fetchRegistry, tlsRequest } from "./registry.js";

/**
 * Real parts of the test environment (DESIGN.md §8), brought up by `.ci/setup.sh`:
 * - docker: a reachable engine that holds the busybox base image (setup builds both in seconds);
 * - registry: the plain-HTTP registry answering `GET /v2/` with 200;
 * - tlsRegistry: the TLS registry, trusted through MLPACK_TEST_TLS_CA, accepting the test credentials;
 * - pythonImage: docker plus the python3/nltk Debian image.
 */
export type RealPart = "docker" | "registry" | "tlsRegistry" | "pythonImage";

export interface RealStatus {
  part: RealPart;
  available: boolean;
  /** Why the part is missing ("" when available). */
  reason: string;
}

/** `fetch failed` hides the useful part (ECONNREFUSED, ...) in `cause`. */
function explain(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message;
}

const SETUP_HINT = "run `bash .ci/setup.sh && source /var/tmp/mlpack-ci/env.sh`";

async function probeDocker(): Promise<string> {
  if (!(await pingDocker())) return "no Docker engine answers (DOCKER_HOST or /var/run/docker.sock)";
  const image = testEnv().busyboxImage;
  return (await imageExists(image)) ? "" : `image ${image} is missing`;
}

async function probeRegistry(): Promise<string> {
  const { registry } = testEnv();
  try {
    const res = await fetchRegistry("/v2/", { timeoutMs: 3_000 });
    return res.status === 200 ? "" : `registry ${registry} answered GET /v2/ with ${res.status}, not 200`;
  } catch (err) {
    return `registry ${registry} does not answer: ${explain(err)}`;
  }
}

async function probeTlsRegistry(): Promise<string> {
  const { tlsRegistry, tlsCa } = testEnv();
  try {
    await access(tlsCa);
  } catch {
    return `CA file ${tlsCa} is missing`;
  }
  try {
    const res = await tlsRequest("/v2/", { auth: true, timeoutMs: 3_000 });
    return res.status === 200
      ? ""
      : `TLS registry ${tlsRegistry} answered authenticated GET /v2/ with ${res.status}`;
  } catch (err) {
    return `TLS registry ${tlsRegistry} does not answer over TLS: ${explain(err)}`;
  }
}

async function probePythonImage(): Promise<string> {
  if (!(await pingDocker())) return "no Docker engine answers";
  const image = testEnv().pythonImage;
  return (await imageExists(image)) ? "" : `image ${image} is missing`;
}

const probes: Record<RealPart, () => Promise<string>> = {
  docker: probeDocker,
  registry: probeRegistry,
  tlsRegistry: probeTlsRegistry,
  pythonImage: probePythonImage,
};

const cache = new Map<RealPart, Promise<RealStatus>>();

/** Probes a real part once per test worker; never throws. */
export function probeReal(part: RealPart): Promise<RealStatus> {
  let status = cache.get(part);
  if (status === undefined) {
    status = probes[part]().then(
      (reason) => ({ part, available: reason === "", reason }),
      (err: unknown) => ({ part, available: false, reason: `probe failed: ${explain(err)}` }),
    );
    cache.set(part, status);
  }
  return status;
}

/**
 * Whether tests needing `parts` should run. Call it at the top level of a test file (top-level await).
 * When a part is missing it returns false, and under CI=true it also registers a failing test naming
 * what is missing, because CI must never skip silently:
 *
 *   describe.runIf(await requireReal("docker"))("build against the engine", () => { ... });
 */
export async function requireReal(...parts: RealPart[]): Promise<boolean> {
  const statuses = await Promise.all(parts.map(probeReal));
  const missing = statuses.filter((s) => !s.available);
  if (missing.length === 0) return true;
  const what = missing.map((s) => `${s.part} (${s.reason})`).join("; ");
  if (isCi()) {
    it(`requires real ${missing.map((s) => s.part).join(", ")}`, () => {
      throw new Error(`CI=true requires real ${what}; ${SETUP_HINT}`);
    });
  }
  return false;
}

/**
 * `describe(name, fn)` that runs only with every real part present; otherwise the suite is skipped, and
 * under CI=true a failing test explains what is missing.
 *
 *   await describeReal(["docker", "registry"], "push", () => { it(...) });
 */
export async function describeReal(
  parts: RealPart | readonly RealPart[],
  name: string,
  fn: () => void,
): Promise<void> {
  const list = typeof parts === "string" ? [parts] : [...parts];
  const run = await requireReal(...list);
  describe.runIf(run)(name, fn);
}
