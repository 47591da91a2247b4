// The Node hash floor: sha256 of stdin, once or twice per byte (`node bench/hash-limit.mjs 1|2`), on one thread,
// in 1 MiB reads. bundle hashes every byte twice (diff_id over the tar, digest over the gzip stream).
import { createHash } from "node:crypto";
import { readSync } from "node:fs";

const passes = Number(process.argv[2] ?? 1);
const hashes = Array.from({ length: passes }, () => createHash("sha256"));
const buf = Buffer.allocUnsafe(1 << 20);
for (let n; (n = readSync(0, buf, 0, buf.length, null)) > 0; ) for (const h of hashes) h.update(buf.subarray(0, n));
process.stdout.write(`${hashes.map((h) => h.digest("hex")).join(" ")}\n`);
