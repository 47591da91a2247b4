import { connect } from "node:net";
import { InterruptedError } from "../errors.js";

/** Called per piece of the response body; the buffer is reused after it returns. A promise pauses the socket. */
export type BodyChunkHandler = (chunk: Buffer) => Promise<void> | undefined;

/** An Engine API error, shaped like dockerode's (statusCode + json.message), so callers treat both alike. */
export class EngineHttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly json: { message?: string } | undefined,
  ) {
    super(`(HTTP code ${statusCode}) ${json?.message ?? "unexpected"}`);
  }
}

const READ_BUFFER = 1024 * 1024;
const MAX_HEAD = 64 * 1024;

/**
 * `GET /containers/{id}/archive?path=…` over the Engine's unix socket, reading into one reused 1 MiB buffer
 * (`net.connect({ onread })`) and decoding the chunked body by hand. node:http allocates a fresh buffer per
 * socket read; with dockerode's module graph in the heap, collecting those costs ~3 s of CPU per GiB — more
 * than hashing it. Body pieces go to `onBody` only for the duration of the call.
 */
export function getArchiveRaw(
  socketPath: string,
  containerId: string,
  path: string,
  onBody: BodyChunkHandler,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const decoder = new ResponseDecoder(onBody);
    let settled = false;
    const finish = (error?: unknown) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      socket.destroy();
      if (error === undefined) resolve();
      else reject(error);
    };
    const onAbort = () => finish(new InterruptedError());
    const socket = connect({
      path: socketPath,
      onread: {
        buffer: Buffer.allocUnsafe(READ_BUFFER),
        callback: (nread: number, buf: Uint8Array) => {
          if (settled) return false;
          try {
            const wait = decoder.push(Buffer.from(buf.buffer, buf.byteOffset, nread));
            if (decoder.done) {
              finish(decoder.error);
              return false;
            }
            if (wait) {
              void wait.then(() => {
                if (!settled) socket.resume();
              });
              return false;
            }
          } catch (error) {
            finish(error);
            return false;
          }
          return true;
        },
      },
    });
    signal?.addEventListener("abort", onAbort, { once: true });
    socket.on("error", (error) => finish(error));
    socket.on("end", () => {
      decoder.closed();
      finish(decoder.done ? decoder.error : new Error("the Engine closed the archive stream early"));
    });
    socket.on("connect", () => {
      socket.write(
        `GET /containers/${encodeURIComponent(containerId)}/archive?path=${encodeURIComponent(path)} HTTP/1.1\r\n` +
          "Host: docker\r\nUser-Agent: mlpack\r\nConnection: close\r\n\r\n",
      );
    });
  });
}

/** HTTP/1.1 response framing: status and headers, then a chunked or length-delimited body. */
class ResponseDecoder {
  done = false;
  error: unknown;
  private head: Buffer[] = [];
  private headBytes = 0;
  private status = 0;
  private chunked = false;
  /** Body bytes left: of the current chunk (chunked) or of the whole body (Content-Length; -1 = until close). */
  private left = 0;
  private state: "head" | "size" | "data" | "data-crlf" | "trailer" = "head";
  private line = "";
  private errorBody: Buffer[] = [];

  constructor(private readonly onBody: BodyChunkHandler) {}

  push(buf: Buffer): Promise<void> | undefined {
    let off = 0;
    let wait: Promise<void> | undefined;
    while (off < buf.length && !this.done) {
      if (this.state === "head") {
        off = this.readHead(buf, off);
      } else if (this.state === "size" || this.state === "data-crlf" || this.state === "trailer") {
        const nl = buf.indexOf(0x0a, off);
        const end = nl < 0 ? buf.length : nl;
        this.line += buf.toString("latin1", off, end);
        if (this.line.length > 4096) throw new Error("invalid chunked encoding from the Engine");
        if (nl < 0) return wait;
        off = nl + 1;
        const line = this.line.replace(/\r$/, "");
        this.line = "";
        if (this.state === "data-crlf") this.state = "size";
        else if (this.state === "trailer") {
          if (line === "") this.end();
        } else {
          const size = Number.parseInt(line.split(";")[0] ?? "", 16);
          if (!Number.isSafeInteger(size) || size < 0) throw new Error("invalid chunk size from the Engine");
          if (size === 0) this.state = "trailer";
          else {
            this.left = size;
            this.state = "data";
          }
        }
      } else {
        const n = this.left < 0 ? buf.length - off : Math.min(this.left, buf.length - off);
        const w = this.body(buf.subarray(off, off + n));
        if (w) wait = wait ? Promise.all([wait, w]).then(() => undefined) : w;
        off += n;
        if (this.left >= 0) this.left -= n;
        if (this.left === 0) {
          if (this.chunked) this.state = "data-crlf";
          else this.end();
        }
      }
    }
    return wait;
  }

  private readHead(buf: Buffer, off: number): number {
    const piece = Buffer.from(buf.subarray(off));
    this.head.push(piece);
    this.headBytes += piece.length;
    const all = Buffer.concat(this.head);
    const split = all.indexOf("\r\n\r\n");
    if (split < 0) {
      if (this.headBytes > MAX_HEAD) throw new Error("oversized response headers from the Engine");
      return buf.length;
    }
    const lines = all.toString("latin1", 0, split).split("\r\n");
    this.status = Number((lines[0] ?? "").split(" ")[1]);
    const headers = new Map(
      lines.slice(1).map((l) => {
        const i = l.indexOf(":");
        return [l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim()] as const;
      }),
    );
    this.chunked = /chunked/i.test(headers.get("transfer-encoding") ?? "");
    const length = headers.get("content-length");
    this.left = this.chunked ? 0 : length === undefined ? -1 : Number(length);
    this.state = this.chunked ? "size" : "data";
    this.head = [];
    if (!this.chunked && this.left === 0) this.end();
    // What follows the head in this buffer is body: continue from there.
    return buf.length - (all.length - (split + 4));
  }

  private body(piece: Buffer): Promise<void> | undefined {
    if (this.status === 200) return this.onBody(piece);
    this.errorBody.push(Buffer.from(piece));
    return undefined;
  }

  private end(): void {
    this.done = true;
    if (this.status !== 200) {
      const text = Buffer.concat(this.errorBody).toString("utf8");
      let json: { message?: string } | undefined;
      try {
        json = JSON.parse(text) as { message?: string };
      } catch {
        json = { message: text.trim() };
      }
      this.error = new EngineHttpError(this.status, json);
    }
  }

  /** A body that runs until the connection closes ends there. */
  closed(): void {
    if (this.left < 0 && this.state === "data") this.end();
  }
}
