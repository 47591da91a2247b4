import { createHash, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { testEnv } from "../support/env.js";
import { describeReal } from "../support/real.js";
import {
  fetchRegistry,
  registryUrl,
  tlsRequest,
  uniqueRepo,
  writeTlsDockerConfig,
} from "../support/registry.js";

await describeReal("registry", "plain registry (real)", () => {
  it("answers GET /v2/ with 200 and the distribution API header", async () => {
    const res = await fetchRegistry("/v2/");
    expect(res.status).toBe(200);
    expect(res.headers.get("docker-distribution-api-version")).toBe("registry/2.0");
  });

  it("takes a monolithic blob upload (POST + PUT ?digest=), serves it back and deletes it", async () => {
    const repo = uniqueRepo("infra");
    const blob = randomBytes(1234);
    const digest = `sha256:${createHash("sha256").update(blob).digest("hex")}`;

    const start = await fetchRegistry(`/v2/${repo}/blobs/uploads/`, { method: "POST" });
    expect(start.status).toBe(202);
    const location = start.headers.get("location");
    expect(location).toBeTruthy();
    const upload = new URL(location ?? "", registryUrl("/"));
    upload.searchParams.set("digest", digest);

    const put = await fetchRegistry(upload.href, {
      method: "PUT",
      headers: { "content-type": "application/octet-stream" },
      body: blob,
    });
    expect(put.status).toBe(201);
    expect(put.headers.get("docker-content-digest")).toBe(digest);

    const head = await fetchRegistry(`/v2/${repo}/blobs/${digest}`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(blob.length));
    expect(head.headers.get("docker-content-digest")).toBe(digest);

    const get = await fetchRegistry(`/v2/${repo}/blobs/${digest}`);
    expect(Buffer.from(await get.arrayBuffer()).equals(blob)).toBe(true);

    // storage.delete.enabled is on, so tests can clean up after themselves.
    const del = await fetchRegistry(`/v2/${repo}/blobs/${digest}`, { method: "DELETE" });
    expect(del.status).toBe(202);
    const gone = await fetchRegistry(`/v2/${repo}/blobs/${digest}`, { method: "HEAD" });
    expect(gone.status).toBe(404);
  });
});

await describeReal("tlsRegistry", "TLS registry with basic auth (real)", () => {
  it("challenges anonymous requests with Basic and accepts the test credentials", async () => {
    const anonymous = await tlsRequest("/v2/");
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers["www-authenticate"]).toMatch(/^Basic realm="mlpack-test"/);

    const wrong = await tlsRequest("/v2/", {
      auth: { user: testEnv().tlsUser, password: "not-the-password" },
    });
    expect(wrong.status).toBe(401);

    const authed = await tlsRequest("/v2/", { auth: true });
    expect(authed.status).toBe(200);
  });

  it("is really TLS with a certificate only the test CA vouches for", async () => {
    await expect(tlsRequest("/v2/", { ca: null })).rejects.toMatchObject({
      code: expect.stringMatching(/SELF_SIGNED|UNABLE_TO_VERIFY/),
    });
  });

  it("accepts the credentials of the docker config written for DOCKER_CONFIG", async () => {
    const config = await writeTlsDockerConfig();
    onTestFinished(config.cleanup);
    const json = JSON.parse(await readFile(join(config.dir, "config.json"), "utf8")) as {
      auths: Record<string, { auth: string }>;
    };
    const entry = json.auths[testEnv().tlsRegistry];
    expect(entry).toBeDefined();
    const [user, ...rest] = Buffer.from(entry?.auth ?? "", "base64")
      .toString("utf8")
      .split(":");
    const res = await tlsRequest("/v2/", { auth: { user: user ?? "", password: rest.join(":") } });
    expect(res.status).toBe(200);
  });
});

describe("test environment contract", () => {
  it("defaults to what .ci/setup.sh brings up", () => {
    expect(testEnv({})).toEqual({
      busyboxImage: "mlpack-test/busybox:latest",
      pythonImage: "mlpack-test/python-nltk:bookworm",
      registry: "127.0.0.1:5000",
      tlsRegistry: "127.0.0.1:5443",
      tlsUser: "mlpack",
      tlsPassword: "mlpack-test-pw",
      tlsCa: "/var/tmp/mlpack-ci/registry-tls/cert.pem",
    });
    expect(testEnv({ MLPACK_TEST_REGISTRY: "localhost:6000" }).registry).toBe("localhost:6000");
  });
});
