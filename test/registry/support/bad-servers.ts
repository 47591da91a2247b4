import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { Transform, type TransformCallback } from "node:stream";

/**
 * Misbehaving servers on 127.0.0.1 for deadline tests: one that accepts and never answers, one that
 * answers with an endless body, one that drips, and a rate-limiting proxy in front of a real registry.
 * Each records what it received and closes every socket it accepted.
 */

export interface BadServer {
  host: string;
  origin: string;
  /** "METHOD /path" of every request line seen (raw servers record the first line). */
  seen: string[];
  close(): Promise<void>;
}

async function listen(server: net.Server, sockets: Set<net.Socket>, seen: string[]): Promise<BadServer> {
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    origin: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Accepts connections, reads whatever comes, and never sends a byte. */
export function startSilentServer(): Promise<BadServer> {
  const seen: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    s.once("data", (d: Buffer) => seen.push(d.toString("latin1").split("\r\n")[0] ?? ""));
  });
  return listen(server, sockets, seen);
}

/** Sends the status line and headers one byte every `everyMs`, forever. */
export function startHeaderDripServer(everyMs = 50): Promise<BadServer> {
  const seen: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    s.once("data", (d: Buffer) => {
      seen.push(d.toString("latin1").split("\r\n")[0] ?? "");
      const text = `HTTP/1.1 200 OK\r\nX-Drip: ${"a".repeat(1_000_000)}`;
      let i = 0;
      const timer = setInterval(() => {
        if (s.destroyed) return clearInterval(timer);
        s.write(text[i++ % text.length] ?? "a");
      }, everyMs);
      s.on("close", () => clearInterval(timer));
    });
  });
  return listen(server, sockets, seen);
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** An HTTP server whose handler decides per request; for endless and dripping bodies. */
export function startHttpServer(handler: Handler): Promise<BadServer> {
  const seen: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  return listen(server, sockets, seen);
}

/** Writes 64 KiB chunks of `{"errors":[` … without end, as fast as the reader takes them. */
export function endlessBody(res: http.ServerResponse, status = 200): void {
  res.writeHead(status, { "content-type": "application/json" });
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  res.write('{"errors":[');
  const pump = () => {
    while (!res.destroyed && res.write(chunk));
    if (!res.destroyed) res.once("drain", pump);
  };
  pump();
}

/** Declares `length` bytes and sends one every `everyMs`. */
export function drippingBody(res: http.ServerResponse, length = 100_000, everyMs = 50): void {
  res.writeHead(200, { "content-type": "application/json", "content-length": String(length) });
  const timer = setInterval(() => {
    if (res.destroyed) return clearInterval(timer);
    res.write(" ");
  }, everyMs);
  res.on("close", () => clearInterval(timer));
}

/** Delays each chunk so data moves at about `bytesPerSecond`; backpressure reaches the sender. */
export function throttle(bytesPerSecond: number): Transform {
  return new Transform({
    highWaterMark: 16 * 1024,
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      const parts: Buffer[] = [];
      for (let i = 0; i < chunk.length; i += 16 * 1024) parts.push(chunk.subarray(i, i + 16 * 1024));
      const next = () => {
        const part = parts.shift();
        if (!part) return cb();
        this.push(part);
        setTimeout(next, (part.length / bytesPerSecond) * 1000);
      };
      next();
    },
  });
}

/**
 * A proxy to a real registry that passes PATCH/PUT request bodies through `throttle(bytesPerSecond)`:
 * a healthy registry on a slow link (or, with a tiny rate, one that stops reading).
 */
export function startThrottlingProxy(upstream: string, bytesPerSecond: number): Promise<BadServer> {
  const [upHost, upPort] = upstream.split(":");
  return startHttpServer((req, res) => {
    const up = http.request(
      { host: upHost, port: Number(upPort), method: req.method, path: req.url, headers: req.headers },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on("error", () => res.destroy());
    res.on("close", () => up.destroy());
    if (req.method === "PATCH" || req.method === "PUT") req.pipe(throttle(bytesPerSecond)).pipe(up);
    else req.pipe(up);
  });
}
