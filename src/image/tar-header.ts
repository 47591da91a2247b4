/**
 * Deterministic tar header encoding (ustar + PAX). Pure: the same entry and epoch always give the same bytes,
 * which is what makes layer diff_ids reproducible (DESIGN.md §4).
 */

export const BLOCK = 512;
/** Largest size the 11 octal digits of a ustar size field can hold: 8 GiB - 1. */
export const USTAR_MAX_SIZE = 0o77777777777;

export type TarType = "file" | "dir" | "symlink" | "hardlink";

/** What a header needs to know about one entry; `name` has no leading slash and no trailing slash. */
export interface TarHeaderInput {
  name: string;
  type: TarType;
  /** Permission bits only (0o644 / 0o755). */
  mode: number;
  /** Content size; 0 for anything but regular files. */
  size: number;
  /** Symlink target or hard-link target path (a tar name). */
  linkname?: string;
}

const TYPEFLAG: Record<TarType, string> = { file: "0", dir: "5", symlink: "2", hardlink: "1" };

function isAscii(s: string): boolean {
  return /^[\x01-\x7f]*$/.test(s);
}

/** Splits a name into ustar prefix (≤155 bytes) + name (≤100 bytes) at a slash, or null when it cannot. */
export function splitUstarName(name: string): { prefix: string; name: string } | null {
  if (!isAscii(name)) return null;
  if (name.length <= 100) return { prefix: "", name };
  if (name.length > 256) return null;
  // Prefer the longest prefix so the name part is as short as possible; any valid split is deterministic.
  for (let i = Math.min(155, name.length - 1); i > 0; i--) {
    if (name[i] === "/" && name.length - i - 1 <= 100 && name.length - i - 1 > 0) {
      return { prefix: name.slice(0, i), name: name.slice(i + 1) };
    }
  }
  return null;
}

/** One PAX record "<len> <key>=<value>\n", where <len> counts the whole record including itself. */
export function paxRecord(key: string, value: string): Buffer {
  const body = Buffer.byteLength(` ${key}=${value}\n`);
  let len = body + String(body).length;
  // Adding the length's own digits can carry it into one more digit (e.g. 98 + 2 → 100).
  if (String(len).length + body !== len) len = body + String(len).length;
  return Buffer.from(`${len} ${key}=${value}\n`, "utf8");
}

function writeString(buf: Buffer, value: string, offset: number, length: number): void {
  buf.write(value, offset, Math.min(length, Buffer.byteLength(value)), "utf8");
}

/** `length - 1` zero-padded octal digits and a NUL, as GNU tar and Go write them; digit by digit, no strings. */
function writeOctal(buf: Buffer, value: number, offset: number, length: number): void {
  let rest = value;
  for (let i = offset + length - 2; i >= offset; i--) {
    buf[i] = 0x30 + (rest % 8);
    rest = Math.floor(rest / 8);
  }
  if (rest !== 0 || value < 0 || !Number.isInteger(value))
    throw new RangeError(`value ${value} does not fit a ${length}-byte tar field`);
  buf[offset + length - 1] = 0;
}

/**
 * The fields every header shares (uid, gid, magic, version, devmajor, devminor), written once; a header
 * starts as a copy of it. The checksum field holds spaces, as it must while the bytes are summed.
 */
const TEMPLATE: Buffer = (() => {
  const h = Buffer.alloc(BLOCK);
  writeOctal(h, 0, 108, 8); // uid
  writeOctal(h, 0, 116, 8); // gid
  h.write("        ", 148, 8, "ascii");
  h.write("ustar\u000000", 257, 8, "ascii");
  // uname/gname (265, 297) stay empty.
  writeOctal(h, 0, 329, 8);
  writeOctal(h, 0, 337, 8);
  return h;
})();

/** Sum of the template's bytes (the checksum field counted as spaces): the start of every checksum. */
const TEMPLATE_SUM = TEMPLATE.reduce((sum, b) => sum + b, 0);

/** Writes an ASCII-only string of at most `max` chars (no NUL) at `offset`; returns its byte sum, or -1. */
function putAscii(buf: Buffer, value: string, offset: number, max: number): number {
  if (value.length > max) return -1;
  let sum = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0 || c > 0x7f) return -1;
    buf[offset + i] = c;
    sum += c;
  }
  return sum;
}

/** writeOctal, returning the byte sum of what it wrote. */
function putOctal(buf: Buffer, value: number, offset: number, length: number): number {
  let rest = value;
  let sum = 0;
  for (let i = offset + length - 2; i >= offset; i--) {
    const digit = 0x30 + (rest % 8);
    buf[i] = digit;
    sum += digit;
    rest = Math.floor(rest / 8);
  }
  if (rest !== 0 || value < 0 || !Number.isInteger(value))
    throw new RangeError(`value ${value} does not fit a ${length}-byte tar field`);
  buf[offset + length - 1] = 0;
  return sum;
}

/**
 * encodeHeader's bytes for the common entry (ASCII name that fits ustar's name, or prefix + name, fields;
 * an ASCII link target of at most 100 bytes; size below 8 GiB), written straight into `buf` at `at` with
 * the checksum summed on the way: no intermediate buffer and no second pass over the 512 bytes. Returns
 * false when the entry needs PAX; what it wrote then is garbage the caller overwrites with encodeHeader.
 */
export function writeHeaderInto(buf: Buffer, at: number, entry: TarHeaderInput, mtime: number): boolean {
  if (entry.size > USTAR_MAX_SIZE) return false;
  const tarName = entry.type === "dir" ? `${entry.name}/` : entry.name;
  const length = tarName.length;
  if (length > 256) return false;
  // The same split as splitUstarName: the longest prefix (≤ 155) that leaves a name part of 1–100 bytes.
  let split = -1;
  if (length > 100) {
    for (let i = Math.min(155, length - 1); i > 0; i--) {
      if (tarName.charCodeAt(i) === 0x2f && length - i - 1 <= 100 && length - i - 1 > 0) {
        split = i;
        break;
      }
    }
    if (split < 0) return false;
  }
  buf.set(TEMPLATE, at);
  let sum = split < 0 ? putAscii(buf, tarName, at, 100) : putAscii(buf, tarName.slice(split + 1), at, 100);
  if (sum < 0) return false;
  if (split >= 0) {
    const prefix = putAscii(buf, tarName.slice(0, split), at + 345, 155);
    if (prefix < 0) return false;
    sum += prefix;
  }
  if (entry.linkname !== undefined && entry.linkname !== "") {
    const link = putAscii(buf, entry.linkname, at + 157, 100);
    if (link < 0) return false;
    sum += link;
  }
  sum += putOctal(buf, entry.mode, at + 100, 8);
  sum += putOctal(buf, entry.size, at + 124, 12);
  sum += putOctal(buf, mtime, at + 136, 12);
  const typeflag = TYPEFLAG_CODE[entry.type];
  buf[at + 156] = typeflag;
  sum += typeflag;
  writeOctal(buf, TEMPLATE_SUM + sum, at + 148, 7);
  buf[at + 155] = 0x20;
  return true;
}

const TYPEFLAG_CODE: Record<TarType, number> = { file: 0x30, dir: 0x35, symlink: 0x32, hardlink: 0x31 };

function ustarBlock(
  fields: { name: string; prefix: string; mode: number; size: number; typeflag: string; linkname: string },
  mtime: number,
): Buffer {
  const h = Buffer.allocUnsafe(BLOCK);
  TEMPLATE.copy(h);
  writeString(h, fields.name, 0, 100);
  writeOctal(h, fields.mode, 100, 8);
  writeOctal(h, fields.size, 124, 12);
  writeOctal(h, mtime, 136, 12);
  h[156] = fields.typeflag.charCodeAt(0);
  if (fields.linkname !== "") writeString(h, fields.linkname, 157, 100);
  if (fields.prefix !== "") writeString(h, fields.prefix, 345, 155);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += h[i] as number;
  writeOctal(h, sum, 148, 7); // six digits and a NUL…
  h[155] = 0x20; // …then a space
  return h;
}

/** A name that fits ustar, used in the plain header when the real one is carried by PAX. */
function fallbackName(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, "_");
  return ascii.length <= 100 ? ascii : ascii.slice(ascii.length - 100);
}

function padTo(len: number): number {
  return (BLOCK - (len % BLOCK)) % BLOCK;
}

/**
 * Header bytes for one entry: a PAX 'x' header (+ its padded records) when the name, link target or size
 * does not fit ustar, then the ustar header. Content and its padding are the caller's.
 */
export function encodeHeader(entry: TarHeaderInput, mtime: number): Buffer {
  const tarName = entry.type === "dir" ? `${entry.name}/` : entry.name;
  const records: Buffer[] = [];
  let split = splitUstarName(tarName);
  if (split === null) {
    records.push(paxRecord("path", tarName));
    split = { prefix: "", name: fallbackName(tarName) };
  }
  let linkname = entry.linkname ?? "";
  if (linkname && (!isAscii(linkname) || Buffer.byteLength(linkname) > 100)) {
    records.push(paxRecord("linkpath", linkname));
    linkname = fallbackName(linkname);
  }
  let size = entry.size;
  if (size > USTAR_MAX_SIZE) {
    records.push(paxRecord("size", String(size)));
    size = 0;
  }
  const main = ustarBlock(
    { ...split, mode: entry.mode, size, typeflag: TYPEFLAG[entry.type], linkname },
    mtime,
  );
  if (records.length === 0) return main;
  const body = Buffer.concat(records);
  const paxName = `PaxHeaders/${fallbackName(tarName.replace(/\/$/, "")).split("/").pop() ?? ""}`.slice(
    0,
    100,
  );
  const pax = ustarBlock(
    { name: paxName, prefix: "", mode: 0o644, size: body.length, typeflag: "x", linkname: "" },
    mtime,
  );
  return Buffer.concat([pax, body, Buffer.alloc(padTo(body.length)), main]);
}

/** Zero bytes that pad content of `size` bytes to a block boundary. */
export function contentPadding(size: number): Buffer {
  return Buffer.alloc(padTo(size));
}

/** The two zero blocks that end an archive. */
export const END_OF_ARCHIVE: Buffer = Buffer.alloc(BLOCK * 2);

/** Exact archive bytes an entry takes (headers + content + padding), for progress totals. */
export function entryTarSize(entry: TarHeaderInput): number {
  return headerSize(entry) + entry.size + padTo(entry.size);
}

/** encodeHeader(entry).length without encoding: one block unless a PAX header is needed (rare). */
function headerSize(entry: TarHeaderInput): number {
  return needsPax(entry) ? encodeHeader(entry, 0).length : BLOCK;
}

function needsPax(entry: TarHeaderInput): boolean {
  const tarName = entry.type === "dir" ? `${entry.name}/` : entry.name;
  const linkname = entry.linkname ?? "";
  return (
    splitUstarName(tarName) === null ||
    (linkname !== "" && (!isAscii(linkname) || Buffer.byteLength(linkname) > 100)) ||
    entry.size > USTAR_MAX_SIZE
  );
}
