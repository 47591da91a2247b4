import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RegistryError } from "../../src/errors.js";
import type { MlpackEvent } from "../../src/events.js";
import { dockerConfigProvider } from "../../src/registry/docker-config.js";
import { pushImage } from "../../src/registry/push.js";
import { staticCredentials } from "../../src/registry/types.js";
import { type FaultProxy, startFaultProxy } from "./support/fault-proxy.js";
import { makeImage, randomImage, type TestImage, uniqueRepo } from "./support/image.js";
import {
  expectStored,
  PLAIN,
  plainRegistryUp,
  TLS,
  TLS_PASSWORD,
  TLS_USER,
  tlsCa,
  tlsRegistryUp,
} from "./support/registries.js";

const plainUp = await plainRegistryUp();
const tlsUp = await tlsRegistryUp();
const fast = { attempts: 2, baseDelayMs: 5 };

/** Everything a user could ever see from a failed push: message, hint, cause chain, and all events. */
function visibleText(err: unknown, events: MlpackEvent[]): string {
  const parts: string[] = events.map((e) => JSON.stringify(e));
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    const x = e as { message?: string; hint?: string; stack?: string };
    parts.push(String(x.message), String(x.hint), String(x.stack), JSON.stringify(e));
  }
  return parts.join("\n");
}

function secretForms(password: string, username = TLS_USER): string[] {
  return [password, Buffer.from(`${username}:${password}`).toString("base64")];
}

describe.skipIf(!tlsUp)("TLS registry with htpasswd (Basic)", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "mlpack-dockercfg-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function configWith(password: string): Promise<NodeJS.ProcessEnv> {
    const auth = Buffer.from(`${TLS_USER}:${password}`).toString("base64");
    await writeFile(join(dir, "config.json"), JSON.stringify({ auths: { [TLS]: { auth } } }));
    return { DOCKER_CONFIG: dir, PATH: "" };
  }

  it("pushes with credentials from the docker config's auths", async () => {
    const env = await configWith(TLS_PASSWORD);
    const image = randomImage([256 * 1024, 1024]);
    const result = await pushImage({
      image,
      registry: TLS,
      repository: uniqueRepo("tls"),
      tag: "v1",
      auth: dockerConfigProvider({ env }),
      ca: tlsCa(),
    });
    expect(result.manifestAction).toBe("put");
    expect(result.reference.startsWith(`${TLS}/mlpack-test/tls-`)).toBe(true);
    const again = await pushImage({
      image,
      registry: `https://${TLS}`,
      repository: result.reference.split("@")[0]!.slice(TLS.length + 1),
      tag: "v1",
      auth: dockerConfigProvider({ env }),
      ca: tlsCa(),
    });
    expect(again.uploadedBytes).toBe(0);
    expect(again.manifestAction).toBe("skipped");
  });

  it("a wrong password is a 401 RegistryError with a hint, and the password appears nowhere", async () => {
    const wrong = "wrong-pw-7f3a9c51e2";
    const env = await configWith(wrong);
    const events: MlpackEvent[] = [];
    const err = await pushImage({
      image: randomImage([1024]),
      registry: TLS,
      repository: uniqueRepo("tls-bad"),
      tag: "v1",
      auth: dockerConfigProvider({ env }),
      ca: tlsCa(),
      emit: (e) => events.push(e),
      retry: fast,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err).toMatchObject({ status: 401, retryable: false, exitCode: 5, code: "E_REGISTRY_AUTH" });
    expect((err as RegistryError).hint).toMatch(/credentials for 127\.0\.0\.1/);
    const text = visibleText(err, events);
    for (const secret of [...secretForms(wrong), ...secretForms(TLS_PASSWORD)])
      expect(text).not.toContain(secret);
  });

  it("no credentials at all → a clear auth error", async () => {
    const err = await pushImage({
      image: randomImage([10]),
      registry: TLS,
      repository: uniqueRepo("tls-anon"),
      tag: "v1",
      auth: undefined,
      ca: tlsCa(),
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "E_REGISTRY_AUTH", status: 401 });
    expect((err as RegistryError).hint).toMatch(/docker login/);
  });

  it("an untrusted certificate → a hint about the CA, no http fallback", async () => {
    const err = await pushImage({
      image: randomImage([10]),
      registry: TLS,
      repository: uniqueRepo("tls-ca"),
      tag: "v1",
      auth: staticCredentials({ kind: "basic", username: TLS_USER, password: TLS_PASSWORD }),
      retry: fast,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).hint).toMatch(/CA/);
    expect(visibleText(err, [])).not.toContain(TLS_PASSWORD);
  });
});

describe.skipIf(!plainUp)("Bearer token flow (token server in front of the plain registry)", () => {
  let proxy: FaultProxy | undefined;
  let storage: FaultProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    await storage?.close();
    proxy = storage = undefined;
  });
  const creds = { username: "bob", password: "bearer-pw-93b1c0d2" };

  it("trades Basic credentials for a token, refreshes it on 401, and never leaks it", async () => {
    proxy = await startFaultProxy(PLAIN, { bearer: { ...creds, usesPerToken: 4 } });
    const image = randomImage([300 * 1024, 100 * 1024]);
    const repo = uniqueRepo("bearer");
    const events: MlpackEvent[] = [];
    const result = await pushImage({
      image,
      registry: proxy.host,
      repository: repo,
      tag: "b",
      auth: staticCredentials({ kind: "basic", ...creds }),
      concurrency: 1,
      emit: (e) => events.push(e),
    });
    await expectStored(PLAIN, repo, "b", image);
    expect(result.manifestAction).toBe("put");
    // Several tokens were needed: each lasted 4 requests, so refresh-on-401 did its job.
    expect(proxy.tokenRequests.length).toBeGreaterThan(2);
    const first = proxy.tokenRequests[0]!;
    expect(first.url).toContain("service=fault-proxy");
    expect(decodeURIComponent(first.url)).toContain(`scope=repository:${repo}:pull,push`);
    expect(first.authorization).toBe(
      `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString("base64")}`,
    );
    expect(
      proxy.log.filter((r) => r.status !== 401).every((r) => r.authorization?.startsWith("Bearer ")),
    ).toBe(true);
    expect(JSON.stringify(events)).not.toContain(creds.password);
  });

  it("fetches an anonymous token when there are no credentials", async () => {
    proxy = await startFaultProxy(PLAIN, { bearer: { ...creds, allowAnonymous: true } });
    const image = randomImage([1000]);
    const repo = uniqueRepo("anon");
    await pushImage({ image, registry: proxy.host, repository: repo, tag: "a", auth: undefined });
    expect(proxy.tokenRequests.every((r) => r.authorization === undefined)).toBe(true);
    await expectStored(PLAIN, repo, "a", image);
  });

  it("wrong credentials at the token realm → 401 with no token or password in any text", async () => {
    proxy = await startFaultProxy(PLAIN, { bearer: creds });
    const events: MlpackEvent[] = [];
    const bad = "not-the-pw-5d8e1f";
    const err = await pushImage({
      image: randomImage([1000]),
      registry: proxy.host,
      repository: uniqueRepo("bearer-bad"),
      tag: "a",
      auth: staticCredentials({ kind: "basic", username: "bob", password: bad }),
      emit: (e) => events.push(e),
      retry: fast,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 401, code: "E_REGISTRY_AUTH", registryCode: "UNAUTHORIZED" });
    expect((err as RegistryError).hint).toMatch(/Check the credentials/);
    const text = visibleText(err, events);
    for (const secret of secretForms(bad, "bob")) expect(text).not.toContain(secret);
  });

  it("drops Authorization when a blob HEAD redirects to another host, and redacts the signed URL", async () => {
    storage = await startFaultProxy(PLAIN);
    const storageOrigin = `http://localhost:${storage.host.split(":")[1]}`;
    proxy = await startFaultProxy(PLAIN, {
      bearer: creds,
      rules: [
        {
          method: "HEAD",
          path: /\/blobs\/sha256:/,
          times: Number.POSITIVE_INFINITY,
          fault: { kind: "redirect", toOrigin: storageOrigin },
        },
      ],
    });
    const image = randomImage([2000, 3000]);
    const repo = uniqueRepo("redirect");
    const push = (img: TestImage, tag: string) =>
      pushImage({
        image: img,
        registry: proxy!.host,
        repository: repo,
        tag,
        auth: staticCredentials({ kind: "basic", ...creds }),
      });
    await push(image, "r");
    // Same layers plus one: its blob checks find the first image's layers through the redirect.
    const grown = makeImage([...image.layers.map((l) => l.bytes), Buffer.from("one more layer")]);
    const again = await push(grown, "r2");
    expect(again.blobs.filter((b) => b.action === "skipped").map((b) => b.digest)).toEqual(
      image.layers.map((l) => l.digest),
    );
    expect(storage.log.length).toBeGreaterThanOrEqual(7);
    expect(storage.log.every((r) => r.authorization === undefined)).toBe(true);
    expect(storage.log.every((r) => r.url.includes("sig=s3cr3t"))).toBe(true);
  });
});
