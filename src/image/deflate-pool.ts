import { Worker } from "node:worker_threads";
import * as zlib from "node:zlib";
import { type BlockMode, deflateBlock } from "./deflate-block.js";

interface Job {
  resolve: (out: Uint8Array | null) => void;
  reject: (error: unknown) => void;
}

// The worker runs `deflateBlock` from its source text, so this works the same from dist/ and from vitest's
// on-the-fly TypeScript (a worker file path would differ between the two). `__name` covers transpilers
// that wrap functions to keep their names. A null result ("store this block") crosses as `stored: true`.
const WORKER_SOURCE = `
const zlib = require("node:zlib");
const { parentPort } = require("node:worker_threads");
const __name = (f) => f;
const deflateBlock = (${deflateBlock.toString()});
parentPort.on("message", (m) => {
  try {
    let out = deflateBlock(zlib, m.block, m.dictionary, m.mode);
    if (out === null) return parentPort.postMessage({ id: m.id, stored: true });
    if (out.byteOffset !== 0 || out.byteLength !== out.buffer.byteLength) out = Uint8Array.from(out);
    parentPort.postMessage({ id: m.id, out }, [out.buffer]);
  } catch (error) {
    parentPort.postMessage({ id: m.id, error: String(error && error.stack || error) });
  }
});
`;

type Reply = { id: number; out?: Uint8Array; stored?: boolean; error?: string };

/**
 * Worker threads that deflate blocks in parallel (pigz style). Results come back by job id, so the caller
 * controls ordering; the pool never changes output bytes, only how fast they arrive. Threads start on
 * the first job, so a `stored` or `none` bundle (or an empty layer) never pays for them.
 */
export class DeflatePool {
  private readonly workers: Worker[] = [];
  private readonly jobs = new Map<number, Job>();
  private nextId = 0;
  private failure: unknown = null;
  private closed = false;

  constructor(readonly size: number) {}

  /**
   * Deflates one block on the next worker (round robin: blocks are equal-sized, so this balances).
   * Blocks backed by a SharedArrayBuffer are shared with the worker as they are: the caller must not
   * change them until the promise settles. Anything else is copied once into shared memory.
   */
  run(block: Uint8Array, dictionary: Uint8Array | null, mode: BlockMode): Promise<Uint8Array | null> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error("deflate pool closed"));
    if (this.size <= 0) return Promise.resolve(deflateBlock(zlib, block, dictionary, mode));
    if (this.workers.length === 0) this.start();
    const id = this.nextId++;
    const worker = this.workers[id % this.workers.length] as Worker;
    let shared = block;
    if (!(block.buffer instanceof SharedArrayBuffer)) {
      shared = new Uint8Array(new SharedArrayBuffer(block.length));
      shared.set(block);
    }
    return new Promise((resolve, reject) => {
      this.jobs.set(id, { resolve, reject });
      // The dictionary (32 KiB) is small enough that cloning it is cheaper than managing its lifetime.
      worker.postMessage({ id, block: shared, dictionary, mode });
    });
  }

  /** Stops the threads; pending jobs are rejected. Safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    this.failAll(new Error("deflate pool closed"));
    await Promise.all(this.workers.splice(0).map((w) => w.terminate()));
  }

  private start(): void {
    for (let i = 0; i < this.size; i++) {
      const worker = new Worker(WORKER_SOURCE, { eval: true });
      worker.on("message", (m: Reply) => {
        const job = this.jobs.get(m.id);
        this.jobs.delete(m.id);
        if (!job) return;
        if (m.out) job.resolve(m.out);
        else if (m.stored) job.resolve(null);
        else job.reject(new Error(`deflate worker failed: ${m.error ?? "unknown error"}`));
      });
      worker.on("error", (error) => this.failAll(error));
      this.workers.push(worker);
    }
  }

  private failAll(error: unknown): void {
    this.failure ??= error;
    for (const job of this.jobs.values()) job.reject(error);
    this.jobs.clear();
  }
}
