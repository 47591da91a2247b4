import { describe, expect, it } from "vitest";
import { InterruptedError, RegistryError } from "../../src/errors.js";
import { parseChallenge } from "../../src/registry/auth.js";
import { isLoopbackHost, parseRegistry } from "../../src/registry/endpoint.js";
import { httpError, parseErrorBody, redactInText, redactUrl, scrub } from "../../src/registry/errors.js";
import { backoffDelay, withRetry } from "../../src/registry/retry.js";
import { withDigest } from "../../src/registry/upload.js";

describe("parseChallenge", () => {
  it.each([
    [
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:a/b:pull"',
      {
        scheme: "bearer",
        params: {
          realm: "https://auth.docker.io/token",
          service: "registry.docker.io",
          scope: "repository:a/b:pull",
        },
      },
    ],
    [
      'Basic realm="https://1.dkr.ecr.us-east-1.amazonaws.com/",service="ecr.amazonaws.com"',
      {
        scheme: "basic",
        params: { realm: "https://1.dkr.ecr.us-east-1.amazonaws.com/", service: "ecr.amazonaws.com" },
      },
    ],
    ['basic realm="x"', { scheme: "basic", params: { realm: "x" } }],
    [
      "Bearer realm=https://t.example/token, service=svc",
      { scheme: "bearer", params: { realm: "https://t.example/token", service: "svc" } },
    ],
    [
      'Bearer realm="r",error="insufficient_scope",scope="repository:a:pull,push"',
      {
        scheme: "bearer",
        params: { realm: "r", error: "insufficient_scope", scope: "repository:a:pull,push" },
      },
    ],
  ])("%s", (header, expected) => {
    expect(parseChallenge(header)).toEqual(expected);
  });

  it("ignores unknown schemes and empty headers", () => {
    expect(parseChallenge("Negotiate abc")).toBeUndefined();
    expect(parseChallenge(undefined)).toBeUndefined();
  });
});

describe("registry endpoints", () => {
  it.each([
    ["127.0.0.1", true],
    ["127.10.0.3", true],
    ["::1", true],
    ["[::1]", true],
    ["localhost", true],
    ["128.0.0.1", false],
    ["example.com", false],
    ["10.0.0.1", false],
  ])("isLoopbackHost(%s) = %s", (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });

  it("tries https then http for a bare loopback host, https only elsewhere", () => {
    expect(parseRegistry("127.0.0.1:5000").candidates.map(String)).toEqual([
      "https://127.0.0.1:5000/",
      "http://127.0.0.1:5000/",
    ]);
    expect(parseRegistry("ghcr.io").candidates.map(String)).toEqual(["https://ghcr.io/"]);
    expect(parseRegistry("http://localhost:5000/").host).toBe("localhost:5000");
    expect(parseRegistry("https://1.dkr.ecr.eu-west-1.amazonaws.com").host).toBe(
      "1.dkr.ecr.eu-west-1.amazonaws.com",
    );
  });

  it("refuses http for non-loopback hosts and junk", () => {
    expect(() => parseRegistry("http://example.com")).toThrow(/Refusing plain http/);
    expect(() => parseRegistry("example.com/path")).toThrow(/Invalid registry/);
    expect(() => parseRegistry("user@example.com")).toThrow(/Invalid registry/);
  });
});

describe("error values", () => {
  it("redacts query strings that can carry tokens", () => {
    expect(redactUrl("https://s3.example/bucket/blob?X-Amz-Signature=abc&token=t")).toBe(
      "https://s3.example/bucket/blob?…",
    );
    expect(redactUrl("http://127.0.0.1:5000/v2/")).toBe("http://127.0.0.1:5000/v2/");
    expect(redactInText("connect to https://h/x?sig=1 failed")).toBe("connect to https://h/x?… failed");
    expect(scrub("Basic c2VjcmV0 and secret", ["c2VjcmV0", "secret"])).toBe("Basic *** and ***");
  });

  it("parses the distribution error body and plain-text bodies", () => {
    expect(
      parseErrorBody(
        Buffer.from('{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known"}]}'),
      ),
    ).toEqual({
      code: "NAME_UNKNOWN",
      message: "repository name not known",
    });
    expect(parseErrorBody(Buffer.from("Not Authorized\n"))).toEqual({ message: "Not Authorized" });
    expect(parseErrorBody(Buffer.from("<html>oops</html>"))).toEqual({});
  });

  it("builds hints that say what to fix", () => {
    const base = {
      method: "POST",
      url: "https://r.example/v2/app/blobs/uploads/?x=1",
      host: "r.example",
      repository: "app",
    };
    const denied = httpError({
      ...base,
      operation: "upload-start",
      status: 403,
      body: Buffer.from(
        '{"errors":[{"code":"DENIED","message":"not authorized to perform: ecr:InitiateLayerUpload"}]}',
      ),
    });
    expect(denied).toMatchObject({
      registryCode: "DENIED",
      status: 403,
      retryable: false,
      code: "E_REGISTRY_AUTH",
    });
    expect(denied.hint).toMatch(/ecr:InitiateLayerUpload/);
    expect(denied.message).not.toContain("x=1");
    const missing = httpError({
      ...base,
      operation: "upload-start",
      status: 404,
      body: Buffer.from('{"errors":[{"code":"NAME_UNKNOWN","message":"no repo"}]}'),
    });
    expect(missing.hint).toMatch(/--create-repository/);
    const throttled = httpError({ ...base, operation: "upload-patch", status: 429 });
    expect(throttled).toMatchObject({ retryable: true, registryCode: "TOOMANYREQUESTS" });
    expect(httpError({ ...base, operation: "manifest-put", status: 502 }).retryable).toBe(true);
    const immutable = httpError({
      ...base,
      operation: "manifest-put",
      status: 400,
      body: Buffer.from('{"errors":[{"code":"TAG_INVALID","message":"tag is immutable"}]}'),
    });
    expect(immutable.hint).toMatch(/immutable/);
  });
});

describe("retry", () => {
  it("backs off exponentially with jitter inside [½, 1] of the step", () => {
    expect(backoffDelay(1, 100, () => 0)).toBe(50);
    expect(backoffDelay(1, 100, () => 1)).toBe(100);
    expect(backoffDelay(3, 100, () => 1)).toBe(400);
    expect(backoffDelay(30, 100, () => 1)).toBe(30_000);
  });

  it("retries only retryable errors, a bounded number of times", async () => {
    let calls = 0;
    const flaky = () => {
      calls++;
      return calls < 3
        ? Promise.reject(new RegistryError("503", { retryable: true }))
        : Promise.resolve("ok");
    };
    expect(await withRetry(flaky, { baseDelayMs: 1 })).toBe("ok");
    calls = 0;
    const fatal = () => {
      calls++;
      return Promise.reject(new RegistryError("denied", { status: 403 }));
    };
    await expect(withRetry(fatal, { baseDelayMs: 1 })).rejects.toMatchObject({ status: 403 });
    expect(calls).toBe(1);
    calls = 0;
    const down = () => {
      calls++;
      return Promise.reject(new RegistryError("down", { retryable: true, status: 503 }));
    };
    await expect(withRetry(down, { attempts: 4, baseDelayMs: 1 })).rejects.toThrow(
      /gave up after 4 attempts/,
    );
    expect(calls).toBe(4);
  });

  it("stops sleeping when aborted", async () => {
    const controller = new AbortController();
    const p = withRetry(() => Promise.reject(new RegistryError("x", { retryable: true })), {
      baseDelayMs: 60_000,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 10);
    await expect(p).rejects.toBeInstanceOf(InterruptedError);
  });
});

describe("withDigest", () => {
  it("keeps the Location's own query parameters byte for byte", () => {
    const loc = new URL("https://r.example/v2/a/blobs/uploads/u1?_state=ab%3D%3D&x=1");
    expect(withDigest(loc, "sha256:00").toString()).toBe(
      "https://r.example/v2/a/blobs/uploads/u1?_state=ab%3D%3D&x=1&digest=sha256%3A00",
    );
    expect(withDigest(new URL("https://r.example/up/1"), "sha256:00").search).toBe("?digest=sha256%3A00");
  });
});
