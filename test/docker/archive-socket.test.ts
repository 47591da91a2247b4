import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { getArchiveRaw } from "../../src/docker/archive-socket.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** An HTTP server on a unix socket, standing in for the Engine. */
async function engine(handler: Parameters<typeof createServer>[1]): Promise<{ socket: string; requests: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), "mlpack-sock-"));
  const socket = join(dir, "docker.sock");
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? "");
    handler?.(req, res);
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  cleanups.push(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });
  return { socket, requests };
}

const body = Buffer.alloc(3 * 1024 * 1024 + 17);
for (let i = 0; i < body.length; i++) body[i] = (i * 7919) & 0xff;

describe("getArchiveRaw", () => {
  it("decodes a chunked body written in odd pieces, byte-exact, and asks for the path escaped", async () => {
    const { socket, requests } = await engine((_req, res) => {
      res.writeHead(200, { "Content-Type": "application/x-tar" });
      let off = 0;
      const sizes = [1, 2, 4093, 65536, 1 << 20, 7];
      const next = () => {
        if (off >= body.length) return void res.end();
        const n = sizes[(off % sizes.length) % sizes.length] ?? 100;
        res.write(body.subarray(off, off + n), next);
        off += n;
      };
      next();
    });
    const hash = createHash("sha256");
    let pauses = 0;
    await getArchiveRaw(socket, "abc123", "/root/.cache/hugging face", (chunk) => {
      hash.update(chunk);
      // Every few pieces, make the reader wait: the socket must pause and resume without losing bytes.
      if (++pauses % 5 === 0) return new Promise((r) => setTimeout(r, 1));
      return undefined;
    });
    expect(hash.digest("hex")).toBe(createHash("sha256").update(body).digest("hex"));
    expect(requests).toEqual(["/containers/abc123/archive?path=%2Froot%2F.cache%2Fhugging%20face"]);
  });

  it("reads a Content-Length body, and turns an error status into statusCode + the Engine's message", async () => {
    const { socket } = await engine((req, res) => {
      if (req.url?.includes("missing")) {
        res.writeHead(404, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ message: "Could not find the file /missing in container abc" }));
        return;
      }
      res.writeHead(200, { "Content-Length": String(body.length) });
      res.end(body);
    });
    let n = 0;
    await getArchiveRaw(socket, "abc", "/ok", (chunk) => {
      n += chunk.length;
      return undefined;
    });
    expect(n).toBe(body.length);
    await expect(getArchiveRaw(socket, "abc", "/missing", () => undefined)).rejects.toMatchObject({
      statusCode: 404,
      json: { message: "Could not find the file /missing in container abc" },
    });
  });

  it("a stream cut short is an error, and an abort ends the read with InterruptedError", async () => {
    const { socket } = await engine((req, res) => {
      res.writeHead(200);
      res.write(body.subarray(0, 1000));
      if (req.url?.includes("cut")) setTimeout(() => res.socket?.destroy(), 20);
    });
    await expect(getArchiveRaw(socket, "abc", "/cut", () => undefined)).rejects.toThrow(/closed the archive stream early/);
    const controller = new AbortController();
    const reading = getArchiveRaw(socket, "abc", "/hang", () => undefined, controller.signal);
    setTimeout(() => controller.abort(), 50);
    await expect(reading).rejects.toMatchObject({ code: "E_INTERRUPTED" });
  });
});
