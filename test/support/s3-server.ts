import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import S3rver from "s3rver";

/** The credentials s3rver accepts by default (it checks SigV4 signatures against them). */
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
  /** Every request received since the start or the last `resetLog()`. */
  requests: S3Request[];
  resetLog(): void;
  /** Requests that carried object data: PutObject and UploadPart (PUT with a body). */
  uploads(): S3Request[];
  /** An SDK client for the server, configured the way mlpack's --endpoint client is. */
  client(): S3Client;
  /** Environment for `mlpack export --endpoint` (credentials the server accepts). */
  env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * A real S3 API server (s3rver, a Koa app with a filesystem store) on 127.0.0.1 with a random port and the
 * given buckets. Its HTTP listener records every request before s3rver handles it: that log is what the
 * tests count uploads and bytes with.
 */
export async function startS3Server(buckets: readonly string[]): Promise<S3TestServer> {
  const dir = await mkdtemp(join(tmpdir(), "mlpack-s3rver-"));
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory: dir,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const { port } = await server.run();
  const requests: S3Request[] = [];
  server.httpServer.prependListener("request", (req) => {
    const url = new URL(req.url ?? "/", "http://x");
    requests.push({
      method: req.method ?? "",
      path: decodeURIComponent(url.pathname),
      query: url.search,
      bytes: Number(req.headers["content-length"] ?? 0),
    });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const clients: S3Client[] = [];
  return {
    endpoint,
    port,
    requests,
    resetLog: () => requests.splice(0),
    uploads: () => requests.filter((r) => r.method === "PUT" && r.bytes > 0),
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
      server.httpServer.closeAllConnections?.();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
