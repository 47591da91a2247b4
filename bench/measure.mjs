// Runs one command and measures it: wall time (hrtime around the process) and peak RSS (GNU time -v,
// "Maximum resident set size", which covers the process and the children it waited for, worker threads included).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const ROOT = dirname(BENCH_DIR);
// Outside the worktree by default: the data set (GBs) is generated once per machine, not per checkout.
export const DATA_DIR = process.env.MLPACK_BENCH_DATA ?? "/var/tmp/mlpack-bench-data";
export const MLPACK = join(ROOT, "bin", "mlpack");
const GNU_TIME = "/usr/bin/time";

/** Runs argv (no shell unless argv is ["bash", "-c", ...]); resolves with exit code, output, seconds, maxRssMB. */
export async function run(argv, { env = process.env, cwd = process.cwd(), input } = {}) {
  const dir = await mkdtemp(join(tmpdir(), "mlpack-bench-time-"));
  const timeFile = join(dir, "time.txt");
  const useTime = existsSync(GNU_TIME);
  const full = useTime ? [GNU_TIME, "-v", "-o", timeFile, ...argv] : argv;
  const t0 = process.hrtime.bigint();
  const child = spawn(full[0], full.slice(1), { env, cwd, stdio: ["pipe", "pipe", "pipe"] });
  const out = [];
  const err = [];
  child.stdout.on("data", (b) => out.push(b));
  child.stderr.on("data", (b) => err.push(b));
  child.stdin.on("error", () => {}); // a child that exits without reading stdin (EPIPE) is not an error here
  child.stdin.end(input ?? "");
  const code = await new Promise((res, rej) => {
    child.on("error", rej);
    child.on("close", (c) => res(c));
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  let maxRssMB = null;
  let cpuSeconds = null;
  if (useTime) {
    const text = await readFile(timeFile, "utf8").catch(() => "");
    const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(text);
    if (m) maxRssMB = Number(m[1]) / 1024;
    // CPU time (user + system) of the process and its children: steadier than wall time on a busy machine.
    const user = /User time \(seconds\): ([\d.]+)/.exec(text);
    const sys = /System time \(seconds\): ([\d.]+)/.exec(text);
    if (user && sys) cpuSeconds = Number(user[1]) + Number(sys[1]);
  }
  await rm(dir, { recursive: true, force: true });
  return {
    code,
    stdout: Buffer.concat(out).toString(),
    stderr: Buffer.concat(err).toString(),
    seconds,
    maxRssMB,
    cpuSeconds,
  };
}

/** Like run() but throws on a non-zero exit. */
export async function mustRun(argv, opts) {
  const r = await run(argv, opts);
  if (r.code !== 0) throw new Error(`${argv.join(" ")} exited ${r.code}\n${r.stderr.slice(-3000)}`);
  return r;
}

export const sh = (script, opts) => mustRun(["bash", "-c", script], opts);

/** Drops the page cache (root only). Returns false when not permitted. */
export async function dropCaches() {
  try {
    await sh("sync");
    await writeFile("/proc/sys/vm/drop_caches", "3\n");
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads every file under the dirs once so the page cache is warm (piped: GNU tar skips reading when writing to
 * /dev/null), then syncs: data generated just before would otherwise be written back during the first measured
 * runs (a 4 GiB weights file made that row 2.8× the 2 GiB one while 8 GiB was 3.8×).
 */
export async function warm(...dirs) {
  await sh(`${dirs.map((d) => `tar -cf - -C '${d}' . | cat > /dev/null`).join(" && ")} && sync`);
}

export function stats(values) {
  const v = values.filter((x) => x !== null && x !== undefined).sort((a, b) => a - b);
  if (v.length === 0) return { median: null, min: null, max: null };
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  return { median, min: v[0], max: v[v.length - 1] };
}
