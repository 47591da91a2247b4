import { isUtf8 } from "node:buffer";
import { UsageError } from "../errors.js";

/**
 * File names are bytes. mlpack keeps every name that is valid UTF-8 byte-exact (newlines, tabs, backslashes,
 * NFC/NFD twins included) and refuses the rest with an error naming the path, escaped: Node's string paths
 * would silently replace the bad bytes, and the file could then neither be read back nor put in a tar.
 */

/**
 * A name or path as text for messages and tables: control characters, backslash and bytes that are not
 * UTF-8 become escapes (`\n`, `\t`, `\\`, `\xNN`), so a hostile name cannot break a line, a table or an
 * annotation. JSON documents carry the real string instead (JSON escapes on its own).
 */
export function escapeName(name: Buffer | string): string {
  const bytes = typeof name === "string" ? Buffer.from(name, "utf8") : name;
  let out = "";
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    const len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    const seq = len > 0 ? bytes.subarray(i, i + len) : undefined;
    if (seq && seq.length === len && isUtf8(seq)) {
      if (len === 1) out += escapeAscii(b);
      else {
        const text = seq.toString("utf8");
        const cp = text.codePointAt(0) as number;
        // C1 controls and the line/paragraph separators break lines in some terminals and editors.
        out += (cp >= 0x80 && cp <= 0x9f) || cp === 0x2028 || cp === 0x2029 ? `\\u{${cp.toString(16)}}` : text;
      }
      i += len;
    } else {
      out += `\\x${b.toString(16).padStart(2, "0")}`;
      i += 1;
    }
  }
  return out;
}

function escapeAscii(b: number): string {
  switch (b) {
    case 0x0a:
      return "\\n";
    case 0x0d:
      return "\\r";
    case 0x09:
      return "\\t";
    case 0x5c:
      return "\\\\";
    default:
      return b < 0x20 || b === 0x7f ? `\\x${b.toString(16).padStart(2, "0")}` : String.fromCharCode(b);
  }
}

/** The error for a name that is not valid UTF-8, naming the escaped path and how to leave it out. */
export function unsupportedName(path: Buffer | string, where: string): UsageError {
  return new UsageError(`${escapeName(path)} (in ${where}) has a name that is not valid UTF-8`, {
    code: "E_UNSUPPORTED_NAME",
    hint: "mlpack keeps file names byte for byte and cannot carry this one: rename the file, or leave it out with --exclude.",
  });
}

/** Whether a directory entry name (as bytes, from readdir with encoding "buffer") can be carried. */
export const isCarriableName = (name: Buffer): boolean => isUtf8(name);
