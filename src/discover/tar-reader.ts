/**
 * A minimal streaming reader for the archives the Engine's `GET /containers/{id}/archive` sends (Go's
 * archive/tar: ustar headers, PAX `x` records for long or non-ASCII names, GNU `L`/`K` long names from other
 * writers, base-256 sizes). Names stay raw bytes: node-tar decodes them as UTF-8 and silently turns bytes that
 * are not UTF-8 into U+FFFD, after which the file can be neither refused by its real name nor written back.
 * Bodies are handed on as the source's own chunks (no copies), and a sink may return a promise to slow the
 * source down (backpressure for writes in flight).
 */

export interface TarHeader {
  /** Raw name bytes (PAX `path` or GNU long name when present, else ustar prefix + name). */
  name: Buffer;
  /** Raw link target bytes (symlinks and hard links). */
  linkname: Buffer;
  /** The ustar type flag as a character: "0" file, "5" directory, "2" symlink, "1" hard link, … */
  type: string;
  mode: number;
  size: number;
}

export interface TarBodySink {
  /** One piece of the entry's body, in order; a returned promise delays the next read until it settles. */
  data(chunk: Buffer): void | Promise<void>;
  /** The body is complete. */
  end(): void | Promise<void>;
}

/** Called per entry; return a sink for its body, or undefined to skip the body. */
export type TarEntryHandler = (header: TarHeader) => TarBodySink | undefined;

export class TarFormatError extends Error {}

const BLOCK = 512;

/**
 * Reads a whole archive from `source`, calling `onEntry` for each entry in archive order. The stream is read
 * through 'data' events, paused while a sink asks it to wait: an async iterator would hand on `read()`'s
 * result, which concatenates (copies) every run of buffered chunks.
 */
export function readTar(source: NodeJS.ReadableStream, onEntry: TarEntryHandler): Promise<void> {
  const reader = new TarStreamReader(onEntry);
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const done = (error?: unknown) => {
      if (settled) return;
      settled = true;
      source.removeListener("data", onData);
      source.removeListener("end", onEnd);
      if (error === undefined) resolve();
      else reject(error);
      // Past the end-of-archive blocks (or after a failure) nothing more is read.
      (source as { destroy?: () => void }).destroy?.();
    };
    const onData = (chunk: Buffer) => {
      if (settled) return;
      try {
        const wait = reader.push(chunk);
        if (reader.ended) done();
        else if (wait) {
          source.pause();
          void wait.then(() => {
            if (!settled) source.resume();
          });
        }
      } catch (error) {
        done(error);
      }
    };
    const onEnd = () => {
      try {
        reader.finish();
        done();
      } catch (error) {
        done(error);
      }
    };
    source.on("data", onData);
    source.once("end", onEnd);
    source.once("error", (error: unknown) => done(error));
    source.once("close", () => {
      // Closed without 'end' (destroyed): a truncated archive, unless the end marker was already read.
      if (!settled) onEnd();
    });
  });
}

interface Pending {
  path?: Buffer;
  linkpath?: Buffer;
  size?: number;
}

/** What the reader is in the middle of. */
type State =
  | { kind: "header" }
  | { kind: "body"; remaining: number; pad: number; sink: TarBodySink | undefined }
  | { kind: "meta"; type: string; remaining: number; pad: number; parts: Buffer[] }
  | { kind: "pad"; remaining: number };

/** The push side of the reader, for sources that are not streams (a reused socket read buffer). */
export class TarStreamReader {
  ended = false;
  private state: State = { kind: "header" };
  /** A partial header block carried over between chunks. */
  private partial: Buffer | undefined;
  private pending: Pending = {};
  private sawEntry = false;

  constructor(private readonly onEntry: TarEntryHandler) {}

  /** Consumes one chunk; returns a promise when a sink asked the source to wait. */
  push(chunk: Buffer): Promise<void> | undefined {
    let off = 0;
    const waits: Promise<void>[] = [];
    while (off < chunk.length && !this.ended) {
      const s = this.state;
      if (s.kind === "header") {
        let block: Buffer;
        if (this.partial) {
          const need = BLOCK - this.partial.length;
          const take = chunk.subarray(off, off + need);
          off += take.length;
          this.partial = Buffer.concat([this.partial, take]);
          if (this.partial.length < BLOCK) continue;
          block = this.partial;
          this.partial = undefined;
        } else if (chunk.length - off < BLOCK) {
          this.partial = Buffer.from(chunk.subarray(off));
          off = chunk.length;
          continue;
        } else {
          block = chunk.subarray(off, off + BLOCK);
          off += BLOCK;
        }
        this.header(block, waits);
      } else if (s.kind === "body") {
        const n = Math.min(s.remaining, chunk.length - off);
        if (n > 0 && s.sink) {
          const w = s.sink.data(chunk.subarray(off, off + n));
          if (w) waits.push(w);
        }
        off += n;
        s.remaining -= n;
        if (s.remaining === 0) {
          const w = s.sink?.end();
          if (w) waits.push(w);
          this.state = s.pad > 0 ? { kind: "pad", remaining: s.pad } : { kind: "header" };
        }
      } else if (s.kind === "meta") {
        const n = Math.min(s.remaining, chunk.length - off);
        s.parts.push(Buffer.from(chunk.subarray(off, off + n)));
        off += n;
        s.remaining -= n;
        if (s.remaining === 0) {
          this.meta(s.type, Buffer.concat(s.parts));
          this.state = s.pad > 0 ? { kind: "pad", remaining: s.pad } : { kind: "header" };
        }
      } else {
        const n = Math.min(s.remaining, chunk.length - off);
        off += n;
        s.remaining -= n;
        if (s.remaining === 0) this.state = { kind: "header" };
      }
    }
    if (waits.length === 0) return undefined;
    return waits.length === 1 ? waits[0] : Promise.all(waits).then(() => undefined);
  }

  /** The source ended: it must have ended between entries. */
  finish(): void {
    if (this.ended) return;
    if (this.state.kind !== "header" || this.partial) throw new TarFormatError("the archive is truncated");
    // Go always writes the end-of-archive blocks, but an empty stream is no archive at all.
    if (!this.sawEntry) throw new TarFormatError("the archive is empty");
  }

  private header(block: Buffer, waits: Promise<void>[]): void {
    if (isZero(block)) {
      this.ended = true;
      return;
    }
    if (checksum(block) !== octal(block, 148, 8))
      throw new TarFormatError("invalid tar header (checksum mismatch)");
    this.sawEntry = true;
    const type = block[156] === 0 ? "0" : String.fromCharCode(block[156] as number);
    const size = this.pending.size ?? headerSize(block);
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (type === "x" || type === "g" || type === "L" || type === "K") {
      // Metadata entries are small; a huge one is a hostile archive, not a name.
      if (size > 1 << 20) throw new TarFormatError(`oversized ${type} metadata entry (${size} bytes)`);
      if (size === 0) this.state = { kind: "header" };
      else this.state = { kind: "meta", type, remaining: size, pad, parts: [] };
      return;
    }
    const magic = block.subarray(257, 263).toString("latin1");
    let name = field(block, 0, 100);
    // ustar splits long names into prefix + name; GNU tar ("ustar  ") uses those bytes for other things.
    if (magic === "ustar\0") {
      const prefix = field(block, 345, 155);
      if (prefix.length > 0) name = Buffer.concat([prefix, Buffer.from("/"), name]);
    }
    const header: TarHeader = {
      name: this.pending.path ?? name,
      linkname: this.pending.linkpath ?? field(block, 157, 100),
      type,
      mode: octal(block, 100, 8),
      size,
    };
    this.pending = {};
    const sink = this.onEntry(header);
    if (size === 0) {
      const w = sink?.end();
      if (w) waits.push(w);
      this.state = { kind: "header" };
    } else {
      this.state = { kind: "body", remaining: size, pad, sink };
    }
  }

  private meta(type: string, body: Buffer): void {
    if (type === "L") this.pending.path = trimNul(body);
    else if (type === "K") this.pending.linkpath = trimNul(body);
    else if (type === "x") {
      for (const [key, value] of paxRecords(body)) {
        if (key === "path") this.pending.path = value;
        else if (key === "linkpath") this.pending.linkpath = value;
        else if (key === "size") {
          const n = Number(value.toString("latin1"));
          if (!Number.isSafeInteger(n) || n < 0) throw new TarFormatError("invalid PAX size");
          this.pending.size = n;
        }
      }
    }
    // "g" (global records) carries nothing we use.
  }
}

/** PAX records: `<len> <key>=<value>\n`, where len counts the whole record. Values stay raw bytes. */
export function paxRecords(body: Buffer): [string, Buffer][] {
  const out: [string, Buffer][] = [];
  let off = 0;
  while (off < body.length) {
    if (body[off] === 0) break;
    const space = body.indexOf(0x20, off);
    if (space < 0) throw new TarFormatError("invalid PAX record");
    const len = Number(body.subarray(off, space).toString("latin1"));
    if (!Number.isSafeInteger(len) || len <= space - off + 1 || off + len > body.length)
      throw new TarFormatError("invalid PAX record length");
    const record = body.subarray(space + 1, off + len - 1);
    const eq = record.indexOf(0x3d);
    if (eq < 0 || body[off + len - 1] !== 0x0a) throw new TarFormatError("invalid PAX record");
    out.push([record.subarray(0, eq).toString("latin1"), Buffer.from(record.subarray(eq + 1))]);
    off += len;
  }
  return out;
}

/** A NUL-terminated header field, as raw bytes. */
function field(block: Buffer, off: number, len: number): Buffer {
  const end = block.indexOf(0, off);
  return Buffer.from(block.subarray(off, end < 0 || end > off + len ? off + len : end));
}

function trimNul(body: Buffer): Buffer {
  const end = body.indexOf(0);
  return end < 0 ? body : body.subarray(0, end);
}

function octal(block: Buffer, off: number, len: number): number {
  const text = block
    .subarray(off, off + len)
    .toString("latin1")
    .replace(/[\0 ]+$/g, "")
    .replace(/^[ ]+/, "");
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError("invalid octal number in tar header");
  return Number.parseInt(text, 8);
}

/** The size field: octal, or base-256 (high bit set) for files of 8 GiB and more. */
function headerSize(block: Buffer): number {
  if (((block[124] as number) & 0x80) === 0) return octal(block, 124, 12);
  let n = 0;
  for (let i = 125; i < 136; i++) n = n * 256 + (block[i] as number);
  if (((block[124] as number) & 0x7f) !== 0 || !Number.isSafeInteger(n))
    throw new TarFormatError("tar entry too large");
  return n;
}

function checksum(block: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (block[i] as number);
  return sum;
}

const ZERO_BLOCK = Buffer.alloc(BLOCK);
const isZero = (block: Buffer): boolean => block.equals(ZERO_BLOCK);
