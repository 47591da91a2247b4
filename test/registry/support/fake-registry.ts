import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import net, { type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

/**
 * A tiny in-test registry whose every answer a test can replace, for the attacks of issue 13: it records
 * each request (protocol, method, URL, Authorization) so a test can assert where credentials went. It
 * speaks just enough of the distribution API for a push to complete: HEADs are 404, uploads are accepted
 * and their digests echoed, manifests are stored in memory.
 */

export interface SeenRequest {
  protocol: "http" | "https";
  method: string;
  url: string;
  authorization?: string;
}

export type Override = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  ctx: { origin: string; protocol: "http" | "https" },
) => boolean;

export interface FakeRegistry {
  host: string;
  port: number;
  /** https://127.0.0.1:port when TLS is on, else http:// */
  origin: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

export interface FakeRegistryOptions {
  /** Serve TLS and plain http on the same port (the first byte decides), with this cert. */
  tls?: { key: string; cert: string };
  /** Basic credentials the registry demands (401 + Basic challenge otherwise). */
  basic?: { username: string; password: string };
  /** Answer a request yourself (return true) before the default handling. */
  override?: Override;
}

function sha256(b: Buffer): string {
  return `sha256:${createHash("sha256").update(b).digest("hex")}`;
}

export async function startFakeRegistry(opts: FakeRegistryOptions = {}): Promise<FakeRegistry> {
  const seen: SeenRequest[] = [];
  const manifests = new Map<string, Buffer>();
  let origin = "";
  let uploads = 0;
  const handler = (protocol: "http" | "https") => (req: http.IncomingMessage, res: http.ServerResponse) => {
    seen.push({ protocol, method: req.method ?? "", url: req.url ?? "", authorization: req.headers.authorization });
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (opts.override?.(req, res, { origin, protocol })) return;
      if (opts.basic) {
        const want = `Basic ${Buffer.from(`${opts.basic.username}:${opts.basic.password}`).toString("base64")}`;
        if (req.headers.authorization !== want) {
          return res.writeHead(401, { "www-authenticate": 'Basic realm="fake"' }).end();
        }
      }
      const url = new URL(req.url ?? "/", origin);
      const body = Buffer.concat(chunks);
      const manifest = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url.pathname);
      if (url.pathname === "/v2/") return res.writeHead(200).end("{}");
      if (manifest && req.method === "PUT") {
        const digest = sha256(body);
        manifests.set(`${manifest[1]}:${manifest[2]}`, body).set(`${manifest[1]}:${digest}`, body);
        return res.writeHead(201, { "docker-content-digest": digest }).end();
      }
      if (manifest) {
        const stored = manifests.get(`${manifest[1]}:${manifest[2]}`);
        if (!stored) return res.writeHead(404).end();
        return res.writeHead(200, { "docker-content-digest": sha256(stored) }).end(req.method === "GET" ? stored : undefined);
      }
      if (req.method === "HEAD") return res.writeHead(404).end();
      if (req.method === "POST" && url.pathname.endsWith("/blobs/uploads/")) {
        return res.writeHead(202, { location: `${url.pathname}u${++uploads}` }).end();
      }
      if (req.method === "PATCH") return res.writeHead(202, { location: url.pathname }).end();
      if (req.method === "PUT") {
        return res.writeHead(201, { "docker-content-digest": url.searchParams.get("digest") ?? "" }).end();
      }
      res.writeHead(405).end();
    });
  };
  const plain = http.createServer(handler("http"));
  const secure = opts.tls ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert }, handler("https")) : undefined;
  const sockets = new Set<net.Socket>();
  // One port, both protocols: a TLS ClientHello starts with 0x16, anything else is plain HTTP.
  const front = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    socket.once("readable", () => {
      const first = socket.read(1) as Buffer | null;
      if (!first) return socket.destroy();
      socket.unshift(first);
      (first[0] === 0x16 && secure ? secure : plain).emit("connection", socket);
    });
  });
  await new Promise<void>((resolve) => front.listen(0, "127.0.0.1", resolve));
  const port = (front.address() as AddressInfo).port;
  origin = `${opts.tls ? "https" : "http"}://127.0.0.1:${port}`;
  return {
    host: `127.0.0.1:${port}`,
    port,
    origin,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        front.close(() => resolve());
      }),
  };
}

const run = promisify(execFile);

/** A throwaway self-signed certificate for 127.0.0.1 (openssl), as PEM strings. */
export async function selfSignedCert(): Promise<{ key: string; cert: string }> {
  const dir = await mkdtemp(join(tmpdir(), "mlpack-cert-"));
  try {
    await run("openssl", [
      "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
      "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
      "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
    ]);
    return { key: await readFile(join(dir, "key.pem"), "utf8"), cert: await readFile(join(dir, "cert.pem"), "utf8") };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
