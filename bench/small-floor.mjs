// The floor of Node on a small-file tree: what any Node tool pays to read it, without tar headers, link checks,
// compression, writes or mlpack's own start-up. A synchronous walk (readdir with types, sorted), readlink for
// each link, open + fstat + read + close for each file into one reused buffer, and one sha256 over all bytes.
// `node bench/small-floor.mjs DIR` prints the digest; bench/scenarios-bundle.mjs times it next to bundle.
import { createHash } from "node:crypto";
import { closeSync, constants, fstatSync, openSync, readdirSync, readlinkSync, readSync } from "node:fs";

const FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW;
const buffer = Buffer.allocUnsafe(1 << 20);
const hash = createHash("sha256");

function readAll(path) {
  const fd = openSync(path, FLAGS);
  try {
    fstatSync(fd);
    for (let position = 0; ; ) {
      const n = readSync(fd, buffer, 0, buffer.length, position);
      if (n === 0) return;
      hash.update(buffer.subarray(0, n));
      position += n;
    }
  } finally {
    closeSync(fd);
  }
}

const stack = [process.argv[2]];
while (stack.length > 0) {
  const dir = stack.pop();
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const e of entries) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) stack.push(path);
    else if (e.isSymbolicLink()) hash.update(readlinkSync(path));
    else if (e.isFile()) readAll(path);
  }
}
process.stdout.write(`${hash.digest("hex")}\n`);
