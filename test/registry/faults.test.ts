import { afterEach, describe, expect, it } from "vitest";
import { RegistryError } from "../../src/errors.js";
import type { MlpackEvent } from "../../src/events.js";
import { pushImage } from "../../src/registry/push.js";
import { type FaultProxy, type FaultRule, startFaultProxy } from "./support/fault-proxy.js";
import { randomImage, uniqueRepo } from "./support/image.js";
import { expectStored, PLAIN, plainRegistryUp } from "./support/registries.js";

const up = await plainRegistryUp();
const fast = { attempts: 5, baseDelayMs: 5 };

let proxy: FaultProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

async function pushThrough(rules: FaultRule[], extra: { monolithic?: boolean } = {}) {
  proxy = await startFaultProxy(PLAIN, { rules });
  const image = randomImage([600 * 1024, 200 * 1024]);
  const repo = uniqueRepo("fault");
  const events: MlpackEvent[] = [];
  const result = await pushImage({
    image,
    registry: `http://${proxy.host}`,
    repository: repo,
    tag: "f",
    auth: undefined,
    retry: fast,
    emit: (e) => events.push(e),
    ...extra,
  });
  // Whatever happened on the wire, the registry holds exactly our bytes.
  await expectStored(PLAIN, repo, "f", image);
  expect(result.digest).toBe(image.manifestDigest);
  return { result, events, log: proxy.log, image };
}

const warnings = (events: MlpackEvent[]) => events.filter((e) => e.type === "warning");

describe.skipIf(!up)("push through injected faults", () => {
  it("survives a connection dropped mid-PATCH by restarting the blob in a new session", async () => {
    const { log, events } = await pushThrough([{ method: "PATCH", fault: { kind: "drop-mid-body" } }]);
    expect(log.filter((r) => r.method === "PATCH" && r.fault === "drop-mid-body")).toHaveLength(1);
    // One extra POST: the retry opened a fresh upload session instead of resuming the broken one.
    expect(log.filter((r) => r.method === "POST")).toHaveLength(4);
    expect(warnings(events)).toHaveLength(1);
    // The streamed PATCH never carries Content-Range.
    expect(log.filter((r) => r.method === "PATCH").every((r) => r.contentRange === undefined)).toBe(true);
  });

  it("retries a 500 and a 429 once each", async () => {
    const { log, events } = await pushThrough([
      { method: "PATCH", fault: { kind: "status", status: 500 } },
      {
        method: "PUT",
        path: /\/blobs\/uploads\//,
        fault: { kind: "status", status: 429, code: "TOOMANYREQUESTS" },
      },
    ]);
    expect(log.filter((r) => r.status === 500)).toHaveLength(1);
    expect(log.filter((r) => r.status === 429)).toHaveLength(1);
    expect(warnings(events)).toHaveLength(2);
  });

  it("accepts 201 instead of 202 on POST and PATCH (as ECR answers)", async () => {
    const { log } = await pushThrough([
      {
        method: "POST",
        times: Number.POSITIVE_INFINITY,
        fault: { kind: "rewrite-status", from: 202, to: 201 },
      },
      {
        method: "PATCH",
        times: Number.POSITIVE_INFINITY,
        fault: { kind: "rewrite-status", from: 202, to: 201 },
      },
    ]);
    expect(log.filter((r) => (r.method === "POST" || r.method === "PATCH") && r.status === 201)).toHaveLength(
      6,
    );
  });

  it("tolerates a manifest PUT answer without Location (as ECR sends it)", async () => {
    const { result, log } = await pushThrough([
      { method: "PUT", path: /\/manifests\//, fault: { kind: "strip-header", header: "location" } },
    ]);
    expect(result.manifestAction).toBe("put");
    expect(log.some((r) => r.method === "PUT" && r.fault === "strip-header")).toBe(true);
  });

  it("verifies the manifest by digest when the PUT answer has no Docker-Content-Digest", async () => {
    const { log } = await pushThrough([
      {
        method: "PUT",
        path: /\/manifests\//,
        fault: { kind: "strip-header", header: "docker-content-digest" },
      },
    ]);
    const heads = log.filter((r) => r.method === "HEAD" && /\/manifests\/sha256:/.test(r.url));
    // One look before the push (not there yet), one confirmation after the PUT.
    expect(heads.map((h) => h.status)).toEqual([404, 200]);
  });

  it("follows relative upload Locations and keeps their query parameters", async () => {
    const { log } = await pushThrough([
      { path: /\/blobs\/uploads\//, times: Number.POSITIVE_INFINITY, fault: { kind: "relative-location" } },
    ]);
    const puts = log.filter((r) => r.method === "PUT" && r.url.includes("/blobs/uploads/"));
    expect(puts).toHaveLength(3);
    // distribution keeps its session state in `_state`; it must survive next to our digest.
    for (const p of puts) expect(p.url).toMatch(/_state=.*&digest=sha256%3A[0-9a-f]{64}$/);
  });

  it("falls back to a monolithic PUT when the registry rejects the streamed PATCH", async () => {
    const { log } = await pushThrough([
      { method: "PATCH", times: 3, fault: { kind: "status", status: 416, code: "BLOB_UPLOAD_INVALID" } },
    ]);
    const finals = log.filter((r) => r.method === "PUT" && r.url.includes("/blobs/uploads/"));
    expect(finals).toHaveLength(3);
    expect(log.filter((r) => r.method === "PATCH" && r.status === 416)).toHaveLength(3);
  });

  it("gives up on a registry that answers 503 forever, retryable and bounded", async () => {
    proxy = await startFaultProxy(PLAIN, {
      rules: [{ times: Number.POSITIVE_INFINITY, fault: { kind: "status", status: 503 } }],
    });
    const started = Date.now();
    const err = await pushImage({
      image: randomImage([1000]),
      registry: `http://${proxy.host}`,
      repository: uniqueRepo("down"),
      tag: "x",
      auth: undefined,
      retry: { attempts: 3, baseDelayMs: 5 },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err).toMatchObject({ status: 503, retryable: true, exitCode: 5 });
    expect((err as RegistryError).message).toMatch(/gave up after 3 attempts/);
    expect(proxy.log).toHaveLength(3);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe("a registry nobody listens on", () => {
  it("fails retryable after bounded attempts, quickly", async () => {
    const started = Date.now();
    const err = await pushImage({
      image: randomImage([10]),
      registry: "127.0.0.1:1",
      repository: "nobody/home",
      tag: "x",
      auth: undefined,
      retry: { attempts: 3, baseDelayMs: 5 },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err).toMatchObject({ retryable: true, code: "E_REGISTRY_UNREACHABLE" });
    expect((err as RegistryError).hint).toMatch(/Nothing answers at 127\.0\.0\.1:1/);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
