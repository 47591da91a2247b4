import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { RegistryError } from "../../src/errors.js";
import { realmMayGetCredentials } from "../../src/registry/auth.js";
import { isLoopbackHost, parseRegistry, pinnedLookup } from "../../src/registry/endpoint.js";
import { pushImage } from "../../src/registry/push.js";
import { staticCredentials } from "../../src/registry/types.js";
import { type FakeRegistry, selfSignedCert, startFakeRegistry } from "./support/fake-registry.js";
import { randomImage, uniqueRepo } from "./support/image.js";

/**
 * Issue 13: credentials are bound to scheme + host + port. A hostile registry on 127.0.0.1 tries to get
 * them sent over plain http, to a token realm on another port, and through redirects to another port;
 * every assertion is on what the servers actually received.
 */

const user = { username: "alice", password: "channel-pw-4e7f9a" };
const basic = `Basic ${Buffer.from(`${user.username}:${user.password}`).toString("base64")}`;
const creds = staticCredentials({ kind: "basic", ...user });
const fast = { attempts: 2, baseDelayMs: 5 };

let servers: FakeRegistry[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});
async function start(...args: Parameters<typeof startFakeRegistry>): Promise<FakeRegistry> {
  const s = await startFakeRegistry(...args);
  servers.push(s);
  return s;
}

describe("loopback is literal", () => {
  it.each([
    ["127.0.0.1", true],
    ["127.255.0.9", true],
    ["::1", true],
    ["[0:0:0:0:0:0:0:1]", true],
    ["localhost", true],
    ["LOCALHOST", true],
    ["evil.localhost", false],
    ["localhost.evil.com", false],
    ["127.0.0.1.nip.io", false],
    ["::ffff:7f00:1", false],
  ])("isLoopbackHost(%s) = %s", (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });

  it("refuses http:// for names that only resolve to loopback", () => {
    expect(() => parseRegistry("http://evil.localhost:5000")).toThrow(/Refusing plain http/);
    expect(parseRegistry("evil.localhost:5000").candidates.map(String)).toEqual(["https://evil.localhost:5000/"]);
  });

  it("answers `localhost` itself as 127.0.0.1, without asking DNS or the hosts file", async () => {
    const address = await new Promise<string>((resolve, reject) =>
      pinnedLookup("localhost", {}, (err, addr) => (err ? reject(err) : resolve(String(addr)))),
    );
    expect(address).toBe("127.0.0.1");
  });

  it.each([
    ["https://reg.example.com/token", "https://reg.example.com", true],
    ["https://auth.docker.io/token", "https://registry-1.docker.io", true],
    ["https://gitlab.com/jwt/auth", "https://registry.gitlab.com", true],
    ["http://reg.example.com/token", "https://reg.example.com", false],
    ["https://reg.example.com:8443/token", "https://reg.example.com", false],
    ["https://evil.example.net/token", "https://reg.example.com", false],
    ["https://evil.co.uk/token", "https://reg.co.uk", false],
    ["http://127.0.0.1:6000/token", "http://127.0.0.1:5000", false],
    ["http://127.0.0.1:5000/token", "http://127.0.0.1:5000", true],
    ["https://localhost:5001/token", "https://localhost:5000", false],
  ])("realm %s may get the credentials of %s: %s", (realm, registry, expected) => {
    expect(realmMayGetCredentials(new URL(realm), new URL(registry))).toBe(expected);
  });
});

describe("a hostile registry on 127.0.0.1", () => {
  let tls: { key: string; cert: string };
  beforeAll(async () => {
    tls = await selfSignedCert();
  });

  it("an upload Location downgraded to http:// on the same host and port is refused; nothing goes there", async () => {
    const registry = await start({
      tls,
      basic: user,
      override: (req, res, { protocol }) => {
        if (protocol === "https" && req.method === "POST" && req.headers.authorization === basic) {
          res.writeHead(202, { location: `http://127.0.0.1:${registryPort()}${req.url}u1` }).end();
          return true;
        }
        return false;
      },
    });
    const registryPort = () => registry.port;
    const err = await pushImage({
      image: randomImage([4096]),
      registry: `https://${registry.host}`,
      repository: uniqueRepo("downgrade"),
      tag: "t",
      auth: creds,
      ca: tls.cert,
      retry: fast,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err).toMatchObject({ code: "E_REGISTRY_INSECURE", exitCode: 5 });
    expect((err as RegistryError).message).toMatch(/to plain http/);
    // The credentials went over TLS only; no byte of the push went over plain http at all.
    expect(registry.seen.some((r) => r.protocol === "https" && r.authorization === basic)).toBe(true);
    expect(registry.seen.filter((r) => r.protocol === "http")).toEqual([]);
  });

  it("a redirect from https to http:// is refused before anything is sent", async () => {
    const registry = await start({
      tls,
      basic: user,
      override: (req, res, { protocol }) => {
        if (protocol === "https" && req.method === "HEAD" && req.url?.includes("/blobs/")) {
          res.writeHead(307, { location: `http://127.0.0.1:${registry.port}${req.url}` }).end();
          return true;
        }
        return false;
      },
    });
    const err = await pushImage({
      image: randomImage([1000]),
      registry: `https://${registry.host}`,
      repository: uniqueRepo("redir-down"),
      tag: "t",
      auth: creds,
      ca: tls.cert,
      retry: fast,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "E_REGISTRY_INSECURE" });
    expect(registry.seen.filter((r) => r.protocol === "http")).toEqual([]);
  });

  it("a Bearer realm on another port gets no credentials, and the error says why", async () => {
    const realm = await start({
      override: (_req, res) => {
        res.writeHead(401, { "content-type": "application/json" }).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
        return true;
      },
    });
    const registry = await start({
      override: (req, res) => {
        if (req.headers.authorization?.startsWith("Bearer ")) return false;
        res
          .writeHead(401, { "www-authenticate": `Bearer realm="${realm.origin}/token",service="fake"` })
          .end();
        return true;
      },
    });
    const err = await pushImage({
      image: randomImage([1000]),
      registry: `http://${registry.host}`,
      repository: uniqueRepo("realm"),
      tag: "t",
      auth: creds,
      retry: fast,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "E_REGISTRY_INSECURE", exitCode: 5 });
    expect((err as RegistryError).hint).toContain(`token service at ${realm.host}`);
    expect(realm.seen.length).toBeGreaterThan(0);
    expect(realm.seen.every((r) => r.authorization === undefined)).toBe(true);
    expect(registry.seen.every((r) => r.authorization === undefined)).toBe(true);
  });

  it("the registry's own realm (same origin) does get the credentials", async () => {
    const registry = await start({
      override: (req, res, { origin }) => {
        if (req.url?.startsWith("/token")) {
          const ok = req.headers.authorization === basic;
          res.writeHead(ok ? 200 : 401, { "content-type": "application/json" }).end(ok ? '{"token":"tok-123456789"}' : "{}");
          return true;
        }
        if (req.headers.authorization === "Bearer tok-123456789") return false;
        res.writeHead(401, { "www-authenticate": `Bearer realm="${origin}/token",service="fake"` }).end();
        return true;
      },
    });
    const result = await pushImage({
      image: randomImage([1000]),
      registry: `http://${registry.host}`,
      repository: uniqueRepo("own-realm"),
      tag: "t",
      auth: creds,
      retry: fast,
    });
    expect(result.manifestAction).toBe("put");
    expect(registry.seen.filter((r) => r.url.startsWith("/token")).every((r) => r.authorization === basic)).toBe(true);
  });

  it("redirects and upload Locations to another port are followed without credentials", async () => {
    const elsewhere = await start();
    const registry = await start({
      basic: user,
      override: (req, res) => {
        if (req.headers.authorization !== basic) return false;
        if (req.method === "HEAD" && req.url?.includes("/blobs/sha256:")) {
          res.writeHead(307, { location: `${elsewhere.origin}${req.url}` }).end();
          return true;
        }
        if (req.method === "POST" && req.url?.endsWith("/blobs/uploads/")) {
          res.writeHead(202, { location: `${elsewhere.origin}${req.url}u1` }).end();
          return true;
        }
        return false;
      },
    });
    const image = randomImage([2048, 1024]);
    const result = await pushImage({
      image,
      registry: `http://${registry.host}`,
      repository: uniqueRepo("elsewhere"),
      tag: "t",
      auth: creds,
      retry: fast,
    });
    expect(result.manifestAction).toBe("put");
    // The other port saw every blob check and every upload, and never a credential.
    const methods = elsewhere.seen.map((r) => r.method);
    expect(methods.filter((m) => m === "HEAD")).toHaveLength(3);
    expect(methods.filter((m) => m === "PATCH")).toHaveLength(3);
    expect(elsewhere.seen.every((r) => r.authorization === undefined)).toBe(true);
    // The registry itself got them on every request after the challenge.
    expect(registry.seen.filter((r) => r.authorization === basic).length).toBeGreaterThan(3);
  });
});
