import { Worker } from "node:worker_threads";
import * as zlib from "node:zlib";
import { type BlockMode, compressBlock } from "./deflate-block.js";

interface Job {
  resolve: (out: Uint8Array) => void;
  reject: (error: unknown) => void;
}

// The worker runs `compressBlock` from its source text, so this works the same from dist/ and from vitest's
// on-the-fly TypeScript (a worker file path would differ between the two). `__name` covers transpilers
// that wrap functions to keep their names.
const WORKER_SOURCE = `
const zlib = require("node:zlib");
const { parentPort } = require("node:worker_threads");
const __name = (f) => f;
const compressBlock = (${compressBlock.toString()});
parentPort.on("message", (m) => {
  try {
    let out = compressBlock(zlib, m.block, m.dictionary, m.mode);
    if (out.byteOffset !== 0 || out.byteLength !== out.buffer.byteLength) out = Uint8Array.from(out);
    parentPort.postMessage({ id: m.id, out }, [out.buffer]);
  } catch (error) {
    parentPort.postMessage({ id: m.id, error: String(error && error.stack || error) });
  }
});
`;

/**
 * Worker threads that deflate blocks in parallel (pigz style). Results come back by job id, so the caller
 * controls ordering; the pool never changes output bytes, only how fast they arrive.
 */
export class DeflatePool {
  private readonly workers: Worker[] = [];
  private readonly jobs = new Map<number, Job>();
  private nextId = 0;
  private failure: unknown = null;

  constructor(readonly size: number) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(WORKER_SOURCE, { eval: true });
      worker.on("message", (m: { id: number; out?: Uint8Array; error?: string }) => {
        const job = this.jobs.get(m.id);
        this.jobs.delete(m.id);
        if (!job) return;
        if (m.out) job.resolve(m.out);
        else job.reject(new Error(`deflate worker failed: ${m.error ?? "unknown error"}`));
      });
      worker.on("error", (error) => this.failAll(error));
      this.workers.push(worker);
    }
  }

  /** Deflates one block on the next worker (round robin: blocks are equal-sized, so this balances). */
  run(block: Uint8Array, dictionary: Uint8Array | null, mode: BlockMode): Promise<Uint8Array> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const id = this.nextId++;
    const worker = this.workers[id % this.workers.length];
    if (!worker) return Promise.resolve(compressBlock(zlib, block, dictionary, mode));
    // postMessage clones a view's whole ArrayBuffer, so a 1 MiB slice of a big buffer would copy all of it:
    // copy exactly the block into its own buffer and transfer that instead.
    const own = new Uint8Array(block.length);
    own.set(block);
    const dict = dictionary === null ? null : Uint8Array.from(dictionary);
    return new Promise((resolve, reject) => {
      this.jobs.set(id, { resolve, reject });
      worker.postMessage({ id, block: own, dictionary: dict, mode }, [own.buffer]);
    });
  }

  /** Stops the threads; pending jobs are rejected. Safe to call twice. */
  async close(): Promise<void> {
    this.failAll(new Error("deflate pool closed"));
    await Promise.all(this.workers.splice(0).map((w) => w.terminate()));
  }

  private failAll(error: unknown): void {
    this.failure ??= error;
    for (const job of this.jobs.values()) job.reject(error);
    this.jobs.clear();
  }
}
