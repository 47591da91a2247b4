import { readFileSync } from "node:fs";
import https from "node:https";
import type { TestImage } from "./image.js";
import { sha256 } from "./image.js";

/**
 * The real registries the tests push to (started by .ci/setup.sh): a plain one and a TLS+htpasswd one.
 * Unreachable → the tests skip, except in CI (CI=true), where that is a failure.
 */

export const PLAIN = process.env.MLPACK_TEST_REGISTRY || "127.0.0.1:5000";
export const TLS = process.env.MLPACK_TEST_TLS_REGISTRY || "127.0.0.1:5443";
export const TLS_CA = process.env.MLPACK_TEST_TLS_CA || "/var/tmp/mlpack-ci/registry-tls/cert.pem";
export const TLS_USER = "mlpack";
export const TLS_PASSWORD = "mlpack-test-pw";

function unreachable(what: string, why: string): false {
  if (process.env.CI === "true") throw new Error(`${what} is not reachable in CI: ${why}`);
  return false;
}

export async function plainRegistryUp(): Promise<boolean> {
  try {
    const res = await fetch(`http://${PLAIN}/v2/`, { signal: AbortSignal.timeout(3000) });
    return res.status === 200 || unreachable(`registry ${PLAIN}`, `status ${res.status}`);
  } catch (err) {
    return unreachable(`registry ${PLAIN}`, String(err));
  }
}

export function tlsCa(): string | undefined {
  try {
    return readFileSync(TLS_CA, "utf8");
  } catch {
    return undefined;
  }
}

export async function tlsRegistryUp(): Promise<boolean> {
  const ca = tlsCa();
  if (!ca) return unreachable(`TLS registry ${TLS}`, `no CA at ${TLS_CA}`);
  const status = await new Promise<number | string>((resolve) => {
    const req = https.get(`https://${TLS}/v2/`, { ca, timeout: 3000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (e) => resolve(String(e)));
  });
  return status === 401 || unreachable(`TLS registry ${TLS}`, String(status));
}

/** Plain GETs against a plain-http registry, independent of the code under test. */
export async function pullManifest(host: string, repo: string, ref: string): Promise<Buffer> {
  const res = await fetch(`http://${host}/v2/${repo}/manifests/${ref}`, {
    headers: { accept: "application/vnd.oci.image.manifest.v1+json" },
  });
  if (res.status !== 200) throw new Error(`GET manifest ${ref}: ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

export async function pullBlob(host: string, repo: string, digest: string): Promise<Buffer> {
  const res = await fetch(`http://${host}/v2/${repo}/blobs/${digest}`);
  if (res.status !== 200) throw new Error(`GET blob ${digest}: ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

/** Asserts (by throwing) that the registry holds exactly the image's manifest and blobs. */
export async function expectStored(host: string, repo: string, tag: string, image: TestImage): Promise<void> {
  const manifest = await pullManifest(host, repo, tag);
  if (!manifest.equals(Buffer.from(image.manifest))) throw new Error("manifest bytes differ");
  if (sha256(manifest) !== image.manifestDigest) throw new Error("manifest digest differs");
  for (const blob of [image.config, ...image.layers]) {
    const got = await pullBlob(host, repo, blob.digest);
    if (!got.equals(blob.bytes) || sha256(got) !== blob.digest)
      throw new Error(`blob ${blob.digest} differs`);
  }
}
