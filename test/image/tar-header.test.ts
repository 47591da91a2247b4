import { Readable } from "node:stream";
import { Parser, type ReadEntry } from "tar";
import { describe, expect, it } from "vitest";
import { type TarEntry, tarStream } from "../../src/image/tar-entries.js";
import {
  BLOCK,
  encodeHeader,
  entryTarSize,
  paxRecord,
  splitUstarName,
  USTAR_MAX_SIZE,
} from "../../src/image/tar-header.js";

interface Parsed {
  path: string;
  type: string;
  size: number;
  mode: number | undefined;
  linkpath: string | undefined;
  mtime: number | undefined;
  uid: number | undefined;
  uname: string | undefined;
}

/** Parses an archive with node-tar (an independent reader), skipping content. */
async function parse(chunks: AsyncIterable<Buffer> | Buffer[]): Promise<Parsed[]> {
  const out: Parsed[] = [];
  const parser = new Parser({
    onReadEntry: (e: ReadEntry) => {
      out.push({
        path: e.path,
        type: e.type,
        size: e.size,
        mode: e.mode,
        linkpath: e.linkpath,
        mtime: e.mtime ? e.mtime.getTime() / 1000 : undefined,
        uid: e.uid,
        uname: e.uname,
      });
      e.resume();
    },
  });
  await new Promise<void>((resolve, reject) => {
    parser.on("end", resolve);
    parser.on("error", reject);
    Readable.from(chunks).pipe(parser);
  });
  return out;
}

function checksumOk(header: Buffer): boolean {
  const stored = Number.parseInt(header.subarray(148, 154).toString("ascii"), 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (header[i] as number);
  return sum === stored;
}

describe("splitUstarName", () => {
  it.each([
    ["short/name.txt", { prefix: "", name: "short/name.txt" }],
    [`${"d".repeat(120)}/file`, { prefix: "d".repeat(120), name: "file" }],
    [`${"d".repeat(150)}/${"f".repeat(101)}`, null],
    [`${"a".repeat(200)}/b`, null],
    ["ünïcode", null],
    ["x".repeat(101), null],
  ])("%s", (name, expected) => {
    expect(splitUstarName(name)).toEqual(expected);
  });
});

describe("paxRecord", () => {
  it.each([
    ["path", "a", "9 path=a\n"],
    ["path", "x".repeat(90), `99 path=${"x".repeat(90)}\n`],
    ["path", "x".repeat(91), `101 path=${"x".repeat(91)}\n`],
  ])("length prefix counts itself (%s=%s)", (key, value, expected) => {
    const record = paxRecord(key, value).toString();
    expect(record).toBe(expected);
    expect(Number.parseInt(record, 10)).toBe(Buffer.byteLength(record));
  });
});

describe("encodeHeader", () => {
  it("writes a plain ustar header with pinned owner, time and mode", () => {
    const h = encodeHeader({ name: "cache/a.txt", type: "file", mode: 0o644, size: 5 }, 1_700_000_000);
    expect(h.length).toBe(BLOCK);
    expect(checksumOk(h)).toBe(true);
    expect(h.subarray(257, 265).toString("latin1")).toBe("ustar\u000000");
    expect(h.subarray(108, 124).toString("ascii")).toBe("0000000\u00000000000\u0000");
    expect(h.subarray(265, 329).every((b) => b === 0)).toBe(true); // empty uname/gname
  });

  it("uses PAX only when ustar cannot hold the entry", () => {
    expect(encodeHeader({ name: `${"d".repeat(120)}/f`, type: "file", mode: 0o644, size: 0 }, 0).length).toBe(
      BLOCK,
    );
    expect(encodeHeader({ name: "é", type: "file", mode: 0o644, size: 0 }, 0).length).toBe(BLOCK * 3);
    expect(encodeHeader({ name: "f", type: "file", mode: 0o644, size: USTAR_MAX_SIZE + 1 }, 0).length).toBe(
      BLOCK * 3,
    );
    const link = { name: "l", type: "symlink" as const, mode: 0o777, size: 0, linkname: "t".repeat(101) };
    expect(encodeHeader(link, 0).length).toBe(BLOCK * 3);
  });

  it("round-trips through node-tar: long, non-ASCII and huge entries", async () => {
    const long255 = `${"a".repeat(150)}/${"b".repeat(150)}/${"c".repeat(100)}`;
    const entries: TarEntry[] = [
      { name: "cache", type: "dir", mode: 0o755, size: 0 },
      { name: `cache/${"n".repeat(120)}`, type: "file", mode: 0o644, size: 0 },
      { name: `cache/${long255}`, type: "file", mode: 0o755, size: 0 },
      { name: "cache/日本語/モデル.bin", type: "file", mode: 0o644, size: 0 },
      { name: "cache/link", type: "symlink", mode: 0o777, size: 0, linkname: `../${"z".repeat(120)}` },
      { name: "cache/hard", type: "hardlink", mode: 0o644, size: 0, linkname: "cache/日本語/モデル.bin" },
    ];
    const headers = entries.map((e) => encodeHeader(e, 86400));
    const parsed = await parse([...headers, Buffer.alloc(1024)]);
    expect(parsed.map((p) => [p.path, p.type, p.linkpath ?? ""])).toEqual([
      ["cache/", "Directory", ""],
      [`cache/${"n".repeat(120)}`, "File", ""],
      [`cache/${long255}`, "File", ""],
      ["cache/日本語/モデル.bin", "File", ""],
      ["cache/link", "SymbolicLink", `../${"z".repeat(120)}`],
      ["cache/hard", "Link", "cache/日本語/モデル.bin"],
    ]);
    expect(parsed.every((p) => p.mtime === 86400 && p.uid === 0 && !p.uname)).toBe(true);
    expect(parsed.map((p) => p.mode)).toEqual([0o755, 0o644, 0o755, 0o644, 0o777, 0o644]);
  });

  it("streams file content with padding and ends with two zero blocks", async () => {
    const content = Buffer.from("hello world");
    const entries: TarEntry[] = [
      { name: "f", type: "file", mode: 0o644, size: content.length, open: () => Readable.from([content]) },
    ];
    const chunks: Buffer[] = [];
    for await (const chunk of tarStream(entries, { mtime: 0 })) chunks.push(chunk);
    const all = Buffer.concat(chunks);
    expect(all.length).toBe(BLOCK * 4);
    expect(all.subarray(BLOCK, BLOCK + content.length).equals(content)).toBe(true);
    expect(all.subarray(BLOCK * 2).every((b) => b === 0)).toBe(true);
  });

  it("fails when a file's content is shorter than its header promised", async () => {
    const entries: TarEntry[] = [
      { name: "f", type: "file", mode: 0o644, size: 100, open: () => Readable.from([Buffer.from("short")]) },
    ];
    await expect(async () => {
      for await (const _ of tarStream(entries, { mtime: 0 })) {
        // drain
      }
    }).rejects.toMatchObject({ code: "E_SOURCE_CHANGED" });
  });
});

describe("entryTarSize", () => {
  const long = "d".repeat(150);
  it.each<TarEntry>([
    { name: "a/b.txt", type: "file", mode: 0o644, size: 5 },
    { name: "a", type: "dir", mode: 0o755, size: 0 },
    { name: `${long}/${"f".repeat(99)}`, type: "file", mode: 0o644, size: 512 },
    { name: `${"d".repeat(99)}`, type: "dir", mode: 0o755, size: 0 }, // the trailing slash makes it 100
    { name: `${"d".repeat(100)}`, type: "dir", mode: 0o755, size: 0 }, // …and this one 101: split at no slash
    { name: "x".repeat(300), type: "file", mode: 0o644, size: 1 },
    { name: "модель.bin", type: "file", mode: 0o644, size: 1025 },
    { name: "l", type: "symlink", mode: 0o777, size: 0, linkname: "t".repeat(100) },
    { name: "l", type: "symlink", mode: 0o777, size: 0, linkname: "t".repeat(101) },
    { name: "l", type: "hardlink", mode: 0o644, size: 0, linkname: "é" },
    { name: "huge", type: "file", mode: 0o644, size: USTAR_MAX_SIZE + 1 },
  ])("$name ($type): header + content + padding, computed without encoding", (entry) => {
    const padding = (BLOCK - (entry.size % BLOCK)) % BLOCK;
    expect(entryTarSize(entry)).toBe(encodeHeader(entry, 0).length + entry.size + padding);
  });
});
