import { createHash } from "node:crypto";
import { Transform } from "node:stream";

/**
 * Passes bytes through unchanged while computing their sha256; at the end calls `onEnd` with
 * `sha256:<hex>` and the byte count. An Error it returns fails the stream (a digest check).
 */
export function hashingStream(onEnd: (digest: string, size: number) => Error | undefined | void): Transform {
  const hash = createHash("sha256");
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
    flush(cb) {
      cb(onEnd(`sha256:${hash.digest("hex")}`, size) ?? undefined);
    },
  });
}
