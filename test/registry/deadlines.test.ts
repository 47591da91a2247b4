import { afterEach, describe, expect, it, vi } from "vitest";
import { RegistryError } from "../../src/errors.js";
import { networkError } from "../../src/registry/errors.js";
import { DEFAULT_DEADLINES, type Deadlines, TransportError } from "../../src/registry/http.js";
import { pushImage } from "../../src/registry/push.js";
import { DEFAULT_RETRY_BUDGET_MS, withRetry } from "../../src/registry/retry.js";
import type { RetryOptions } from "../../src/registry/types.js";
import {
  type BadServer,
  drippingBody,
  endlessBody,
  startHeaderDripServer,
  startHttpServer,
  startSilentServer,
  startThrottlingProxy,
} from "./support/bad-servers.js";
import { randomImage, uniqueRepo } from "./support/image.js";
import { expectStored, PLAIN, plainRegistryUp } from "./support/registries.js";

/**
 * Issue 12: a registry that goes silent, drips or never ends its answer fails `push` in bounded time with a
 * message naming the host and the step. Short deadlines here; the real defaults are checked by arithmetic
 * (fake timers) and by the CLI test of the endless body.
 */

const short: Deadlines = { connectMs: 400, firstByteMs: 400, idleMs: 400, minBytes: 64 * 1024, bodyMs: 400 };
const retry: RetryOptions = { attempts: 5, baseDelayMs: 10, budgetMs: 1_200 };

let servers: BadServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});
async function serve(server: Promise<BadServer>): Promise<BadServer> {
  const s = await server;
  servers.push(s);
  return s;
}

async function failedPush(registry: string, size = 1000) {
  const started = Date.now();
  const err = await pushImage({
    image: randomImage([size]),
    registry,
    repository: uniqueRepo("deadline"),
    tag: "t",
    auth: undefined,
    deadlines: short,
    retry,
  }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(RegistryError);
  return { err: err as RegistryError, seconds: (Date.now() - started) / 1000 };
}

describe("deadlines against misbehaving servers on 127.0.0.1", () => {
  it("a server that accepts and never answers: timeout naming host and step, inside attempt + budget", async () => {
    const silent = await serve(startSilentServer());
    const { err, seconds } = await failedPush(`http://${silent.host}`);
    expect(err).toMatchObject({ code: "E_REGISTRY_TIMEOUT", exitCode: 5, retryable: true });
    expect(err.message).toContain(`${silent.host} sent no answer to the API check (GET http://${silent.host}/v2/) within 0.4 s`);
    expect(err.message).toMatch(/gave up after [2-5] attempts/);
    expect(err.hint).toContain(silent.host);
    // One attempt (0.4 s) plus the retry budget (1.2 s), with room for a loaded machine.
    expect(seconds).toBeLessThan(0.4 + 1.2 + 1.5);
    expect(silent.seen.length).toBeGreaterThanOrEqual(2);
    expect(silent.seen.every((l) => l === "GET /v2/ HTTP/1.1")).toBe(true);
  });

  it("a bare loopback host that is silent: the TLS handshake and the http try are both bounded", async () => {
    const silent = await serve(startSilentServer());
    const { err, seconds } = await failedPush(silent.host);
    expect(err.code).toBe("E_REGISTRY_TIMEOUT");
    expect(err.message).toContain(silent.host);
    // Each attempt: TLS connect deadline + http first-byte deadline.
    expect(seconds).toBeLessThan(0.8 + 1.2 + 1.5);
  });

  it("an endless answer to the ping is cut at the cap, not read forever, and not retried", async () => {
    const endless = await serve(startHttpServer((_req, res) => endlessBody(res)));
    const { err, seconds } = await failedPush(`http://${endless.host}`);
    expect(err).toMatchObject({ code: "E_REGISTRY_RESPONSE_TOO_LARGE", exitCode: 5, retryable: false });
    expect(err.message).toBe(
      `${endless.host} answered the API check (GET http://${endless.host}/v2/) with more than 64.0 KiB`,
    );
    expect(endless.seen).toEqual(["GET /v2/"]);
    expect(seconds).toBeLessThan(2);
  });

  it("an endless error body later in the push is cut at the cap too", async () => {
    const registry = await serve(
      startHttpServer((req, res) => {
        if (req.url === "/v2/") return res.writeHead(200).end("{}");
        if (req.method === "HEAD") return res.writeHead(404).end();
        endlessBody(res, 500);
      }),
    );
    const { err, seconds } = await failedPush(`http://${registry.host}`);
    expect(err.code).toBe("E_REGISTRY_RESPONSE_TOO_LARGE");
    expect(err.message).toMatch(
      new RegExp(`^${registry.host} answered starting an upload \\(POST http://${registry.host}/v2/.*/blobs/uploads/\\) with more than 1\\.0 MiB$`),
    );
    expect(seconds).toBeLessThan(2);
  });

  it("headers dripped a byte at a time hit the first-byte deadline", async () => {
    const drip = await serve(startHeaderDripServer(20));
    const { err, seconds } = await failedPush(`http://${drip.host}`);
    expect(err.code).toBe("E_REGISTRY_TIMEOUT");
    expect(err.message).toContain(`${drip.host} sent no answer to the API check`);
    expect(seconds).toBeLessThan(0.4 + 1.2 + 1.5);
  });

  it("a JSON body dripped a byte at a time hits the body deadline", async () => {
    const drip = await serve(startHttpServer((_req, res) => drippingBody(res, 100_000, 20)));
    const { err, seconds } = await failedPush(`http://${drip.host}`);
    expect(err.code).toBe("E_REGISTRY_TIMEOUT");
    expect(err.message).toContain(`${drip.host} stopped sending its answer to the API check`);
    expect(seconds).toBeLessThan(0.4 + 1.2 + 1.5);
  });
});

const plainUp = await plainRegistryUp();

describe.skipIf(!plainUp)("slow links in front of the real registry", () => {
  it("a registry that stops reading an upload fails the blob, naming the host and the step", async () => {
    const slow = await serve(startThrottlingProxy(PLAIN, 1024));
    const { err, seconds } = await failedPush(`http://${slow.host}`, 16 * 1024 * 1024);
    expect(err.code).toBe("E_REGISTRY_TIMEOUT");
    expect(err.message).toContain(`${slow.host} stopped taking data during uploading a blob (PATCH http://${slow.host}/v2/`);
    // The socket buffers fill first; then at most two idle windows per attempt, inside the budget.
    expect(seconds).toBeLessThan(15);
  });

  it("a healthy slow registry still gets a blob that takes many idle windows to send", async () => {
    const slow = await serve(startThrottlingProxy(PLAIN, 4 * 1024 * 1024));
    // Far more than socket buffers hold, so the upload itself spans many idle windows.
    const image = randomImage([24 * 1024 * 1024]);
    const deadlines = { ...short, idleMs: 1_000 };
    const repo = uniqueRepo("slow-ok");
    const started = Date.now();
    const result = await pushImage({
      image,
      registry: `http://${slow.host}`,
      repository: repo,
      tag: "t",
      auth: undefined,
      deadlines,
      retry: { attempts: 1 },
    });
    const seconds = (Date.now() - started) / 1000;
    expect(result.uploadedBytes).toBeGreaterThan(24 * 1024 * 1024);
    // Idle deadlines, not a total one: the upload outlasted the 1 s window several times over.
    expect(seconds).toBeGreaterThan(3);
    await expectStored(PLAIN, repo, "t", image);
  });
});

describe("the real defaults bound a silent registry to two minutes", () => {
  it("one ping attempt (TLS try + http try) and the retry budget add up to less than 120 s", async () => {
    vi.useFakeTimers();
    try {
      const start = Date.now();
      const url = new URL("http://127.0.0.1:5999/v2/");
      // What a bare loopback host that never answers costs per attempt with the defaults.
      const attemptMs = DEFAULT_DEADLINES.connectMs + DEFAULT_DEADLINES.firstByteMs;
      let attempts = 0;
      const ping = () =>
        new Promise<never>((_resolve, reject) => {
          attempts++;
          setTimeout(() => {
            const deadline = new TransportError("first-byte", DEFAULT_DEADLINES.firstByteMs);
            reject(networkError(deadline, { operation: "ping", method: "GET", url, host: url.host }));
          }, attemptMs);
        });
      let elapsed = -1;
      const done = withRetry(ping, {}).catch((e: unknown) => {
        elapsed = Date.now() - start;
        return e;
      });
      await vi.advanceTimersByTimeAsync(10 * 60_000);
      const err = await done;
      expect(err).toMatchObject({ code: "E_REGISTRY_TIMEOUT" });
      expect((err as Error).message).toContain("127.0.0.1:5999 sent no answer to the API check");
      expect(attempts).toBe(2);
      expect(elapsed).toBeLessThanOrEqual(attemptMs + DEFAULT_RETRY_BUDGET_MS);
      expect(elapsed).toBeLessThan(120_000);
    } finally {
      vi.useRealTimers();
    }
  });
});
