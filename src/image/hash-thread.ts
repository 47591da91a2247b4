import { Worker } from "node:worker_threads";

/**
 * The worker's whole program. It is plain CommonJS passed as text (`eval: true`), so it runs the same from
 * dist/ and from the TypeScript sources under test, with no file to locate. It hashes the views it is sent,
 * in order, and acknowledges each one so the sender can recycle the block.
 */
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const { crc32 } = require("node:zlib");
let hash = null;
let crc = 0;
let withCrc = false;
const buffers = new Map();
parentPort.on("message", (m) => {
  if (m.type === "buffer") {
    buffers.set(m.id, m.buffer);
  } else if (m.type === "begin") {
    hash = createHash("sha256");
    crc = 0;
    withCrc = m.crc;
  } else if (m.type === "data") {
    const view = new Uint8Array(buffers.get(m.id), m.offset, m.length);
    hash.update(view);
    if (withCrc) crc = crc32(view, crc);
    parentPort.postMessage(m.seq);
  } else if (m.type === "end") {
    parentPort.postMessage({ digest: hash.digest("hex"), crc });
    hash = null;
  }
});
`;

/** Blocks the worker may hold at once: enough to cover a message round trip, few enough to keep RSS flat. */
const IN_FLIGHT = 4;

export interface HashResult {
  /** "sha256:<hex>" of every byte pushed since `begin`. */
  digest: string;
  /** CRC-32 of the same bytes (0 unless `begin` asked for it). */
  crc: number;
}

/**
 * A second core for the bundle hot path: one worker thread that computes the diff_id (sha256 of the tar)
 * and the gzip CRC-32 while the main thread reads, probes, deflates and hashes the gzip stream. Blocks are
 * shared memory (SharedArrayBuffer), so nothing is copied: the worker gets a view and says when it is done
 * with it. Only views of shared memory can be pushed (the block pool hands out nothing else). Each buffer
 * is sent once and named by a number after that: passing a SharedArrayBuffer costs ~10× a plain message,
 * and the pool recycles the same few dozen blocks for the whole build.
 */
export class HashThread {
  private readonly worker: Worker;
  private seq = 0;
  private readonly ids = new WeakMap<SharedArrayBuffer, number>();
  private nextId = 0;
  private readonly pending: { seq: number; done: () => void }[] = [];
  private result: ((r: HashResult) => void) | null = null;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;

  constructor() {
    this.worker = new Worker(WORKER_SOURCE, { eval: true });
    this.worker.unref();
    this.worker.on("message", (m: number | { digest: string; crc: number }) => {
      if (typeof m === "number") {
        const first = this.pending.shift();
        first?.done();
        this.wake?.();
        this.wake = null;
      } else {
        this.result?.({ digest: `sha256:${m.digest}`, crc: m.crc >>> 0 });
        this.result = null;
      }
    });
    this.worker.on("error", (error) => this.fail(error));
    this.worker.on("exit", (code) => {
      if (this.pending.length > 0 || this.result) this.fail(new Error(`hash worker exited (${code})`));
    });
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.wake?.();
    this.wake = null;
  }

  /** Starts a new digest (and CRC when `crc`). */
  begin(crc: boolean): void {
    this.worker.postMessage({ type: "begin", crc });
  }

  /**
   * Queues `view` for hashing; `done` runs once the worker no longer reads it. Resolves when fewer than
   * IN_FLIGHT views are queued, which may be before this one is hashed: the caller must not change the
   * bytes until `done`.
   */
  async push(view: Uint8Array, done: () => void): Promise<void> {
    if (this.failure) throw this.failure;
    const buffer = view.buffer;
    if (!(buffer instanceof SharedArrayBuffer)) throw new Error("hash thread needs shared memory");
    let id = this.ids.get(buffer);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(buffer, id);
      this.worker.postMessage({ type: "buffer", id, buffer });
    }
    const seq = this.seq++;
    this.pending.push({ seq, done });
    this.worker.postMessage({ type: "data", seq, id, offset: view.byteOffset, length: view.length });
    while (this.pending.length >= IN_FLIGHT && !this.failure) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
    if (this.failure) throw this.failure;
  }

  /** The digest (and CRC) of everything pushed since `begin`, once the worker has hashed all of it. */
  async end(): Promise<HashResult> {
    if (this.failure) throw this.failure;
    const result = new Promise<HashResult>((resolve) => {
      this.result = resolve;
    });
    this.worker.postMessage({ type: "end" });
    const failed = new Promise<never>((_, reject) => {
      const check = () => (this.failure ? reject(this.failure) : undefined);
      this.worker.once("error", check);
      this.worker.once("exit", check);
    });
    failed.catch(() => {});
    return Promise.race([result, failed]);
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
