import { type ChildProcess, fork } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { S3Client } from "@aws-sdk/client-s3";

/** The credentials s3rver accepts by default (it checks the access key id). */
export const S3_TEST_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;

/** One request as the server's HTTP listener received it. */
export interface S3Request {
  method: string;
  /** Path without the query string, decoded: "/bucket/key". */
  path: string;
  query: string;
  /** Content-Length of the request body (the SDK sends it for every upload; no chunked encoding here). */
  bytes: number;
}

export interface S3TestServer {
  endpoint: string;
  port: number;
  /** Every request received since the start or the last `resetLog()` (complete once the promise resolves). */
  log(): Promise<S3Request[]>;
  resetLog(): Promise<void>;
  /** Requests that carried object data: PutObject and UploadPart (PUT with a body). */
  uploads(): Promise<S3Request[]>;
  /** An SDK client for the server, configured the way mlpack's --endpoint client is. */
  client(): S3Client;
  /** Environment for `mlpack export --endpoint` (credentials the server accepts). */
  env: Record<string, string>;
  close(): Promise<void>;
}

const CHILD = fileURLToPath(new URL("./s3rver-child.mjs", import.meta.url));

/**
 * A real S3 API server (s3rver, a Koa app with a filesystem store) on 127.0.0.1 with a random port and the
 * given buckets, in a child process (see s3rver-child.mjs for why). Its HTTP listener records every request
 * before s3rver handles it: that log is what the tests count uploads and bytes with.
 */
export async function startS3Server(buckets: readonly string[]): Promise<S3TestServer> {
  const dir = await mkdtemp(join(tmpdir(), "mlpack-s3rver-"));
  const child: ChildProcess = fork(CHILD, [dir, ...buckets], {
    execArgv: ["--openssl-legacy-provider"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const requests: S3Request[] = [];
  const pongs = new Map<number, () => void>();
  let nextPing = 0;
  const port = await new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`s3rver exited with ${code} before it was ready`)));
    child.on("message", (m: { type: string; port?: number; id?: number } & S3Request) => {
      if (m.type === "ready") resolve(m.port as number);
      else if (m.type === "request") requests.push({ method: m.method, path: m.path, query: m.query, bytes: m.bytes });
      else if (m.type === "pong") pongs.get(m.id as number)?.();
    });
  });
  child.removeAllListeners("exit");
  const sync = () =>
    new Promise<void>((resolve) => {
      const id = nextPing++;
      pongs.set(id, () => {
        pongs.delete(id);
        resolve();
      });
      child.send({ type: "ping", id });
    });
  const endpoint = `http://127.0.0.1:${port}`;
  const clients: S3Client[] = [];
  return {
    endpoint,
    port,
    log: async () => {
      await sync();
      return [...requests];
    },
    resetLog: async () => {
      await sync();
      requests.splice(0);
    },
    uploads: async () => {
      await sync();
      return requests.filter((r) => r.method === "PUT" && r.bytes > 0);
    },
    client: () => {
      const c = new S3Client({
        region: "us-east-1",
        endpoint,
        forcePathStyle: true,
        credentials: S3_TEST_CREDENTIALS,
        requestChecksumCalculation: "WHEN_REQUIRED",
        responseChecksumValidation: "WHEN_REQUIRED",
      });
      clients.push(c);
      return c;
    },
    env: {
      AWS_ACCESS_KEY_ID: S3_TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3_TEST_CREDENTIALS.secretAccessKey,
      AWS_REGION: "us-east-1",
    },
    close: async () => {
      for (const c of clients) c.destroy();
      const exited = new Promise((resolve) => child.once("exit", resolve));
      if (child.connected) child.send({ type: "stop" });
      else child.kill();
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
