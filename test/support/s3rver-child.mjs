// Runs s3rver (a real S3 API server with a filesystem store) for the tests and the bench, in its own process:
//   node --openssl-legacy-provider test/support/s3rver-child.mjs DIR BUCKET...
// The flag is needed because s3rver 3.7.1 encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3
// only has in its legacy provider: without it every listing of more than 1000 keys fails with InternalError.
// Over IPC it sends {type:"ready", port}, then one {type:"request", method, path, query, bytes} per request as
// the HTTP listener receives it (before s3rver handles it), and answers {type:"ping", id} with {type:"pong", id}
// (the channel is ordered: after the pong, every earlier request is logged). {type:"stop"} closes it.
import S3rver from "s3rver";

const [dir, ...buckets] = process.argv.slice(2);
const server = new S3rver({
  address: "127.0.0.1",
  port: 0,
  silent: true,
  directory: dir,
  configureBuckets: buckets.map((name) => ({ name })),
});
const { port } = await server.run();
server.httpServer.prependListener("request", (req) => {
  const url = new URL(req.url ?? "/", "http://x");
  process.send?.({
    type: "request",
    method: req.method,
    path: decodeURIComponent(url.pathname),
    query: url.search,
    bytes: Number(req.headers["content-length"] ?? 0),
  });
});
process.on("message", async (m) => {
  if (m?.type === "ping") process.send?.({ type: "pong", id: m.id });
  if (m?.type === "stop") {
    server.httpServer.closeAllConnections?.();
    await server.close().catch(() => undefined);
    process.exit(0);
  }
});
// The parent went away (a killed test run): do not linger.
process.on("disconnect", () => process.exit(0));
process.send?.({ type: "ready", port });
