// `mlpack export` and the S3 loader against references, on the bench assets (2 GiB weights + 20k small files):
//   export to a local S3 server (s3rver, in this process) vs `aws s3 sync` (when the aws CLI is installed,
//   else a plain parallel SDK upload written here), the re-export of unchanged assets (bytes counted by the
//   server's request log), export to a folder vs `cp -a`, and the loader's cold start from S3 into a fresh
//   folder vs `aws s3 sync` down (else a plain parallel SDK download). Reported as ratios in the notes.
// Runs on a hard-linked copy of the bench project, so the bundle scenarios' project is never locked or changed.
import { execFileSync } from "node:child_process";
import { createReadStream, createWriteStream, existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { join, relative } from "node:path";
import { pipeline } from "node:stream/promises";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { fork } from "node:child_process";
import { PROJECT } from "./data.mjs";
import { DATA_DIR, MLPACK, mustRun, ROOT, run, sh } from "./measure.mjs";

const RUNS = Number(process.env.MLPACK_BENCH_RUNS ?? 3);
const BUCKET = "bench";
const CREDS = { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", AWS_REGION: "us-east-1" };
const PYTHON_IMAGE = process.env.MLPACK_TEST_PYTHON_IMAGE ?? "mlpack-test/python-nltk:bookworm";
const LOADER_DIR = join(ROOT, "templates", "loader");
const log = (m) => process.stderr.write(`[bench export] ${m}\n`);
const f = (x) => (x == null ? "–" : x.toFixed(2));
const median = (xs) => {
  const v = xs.filter((x) => x != null).sort((a, b) => a - b);
  return v.length === 0 ? null : v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};

function hasAwsCli() {
  try {
    return /aws-cli/.test(execFileSync("aws", ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }));
  } catch {
    return false;
  }
}

function hostPythonHasBoto3() {
  try {
    execFileSync("python3", ["-c", "import boto3"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Every regular file and symlink under dir (what a plain copy tool sees). */
async function walk(dir, rel = "", out = []) {
  for (const d of await readdir(join(dir, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${d.name}` : d.name;
    if (d.isDirectory()) await walk(dir, p, out);
    else if (d.isFile()) out.push(p);
  }
  return out;
}

async function parallel(items, limit, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

/** The fallback reference: every regular file PUT once, 8 at a time, multipart above 8 MiB. No checks, no manifest. */
async function sdkUpload(client, dir, prefix) {
  const files = await walk(dir);
  await parallel(files, 8, async (rel) => {
    const path = join(dir, rel);
    const Key = `${prefix}/${rel}`;
    const size = (await import("node:fs")).statSync(path).size;
    if (size < 8 * 1024 * 1024) {
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: await readFile(path) }));
    } else {
      await new Upload({ client, params: { Bucket: BUCKET, Key, Body: createReadStream(path) }, partSize: 8 * 1024 * 1024, queueSize: 4 }).done();
    }
  });
}

async function sdkDownload(client, prefix, dir) {
  const keys = [];
  let token;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${prefix}/`, ContinuationToken: token }));
    for (const o of page.Contents ?? []) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  await parallel(keys, 16, async (Key) => {
    const path = join(dir, relative(prefix, Key));
    await mkdir(join(path, ".."), { recursive: true });
    const out = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key }));
    await pipeline(out.Body, createWriteStream(path));
  });
}

export async function scenarioExport() {
  const work = await mkdtemp(join(DATA_DIR, "export-bench-"));
  const project = join(work, "project");
  const s3dir = join(work, "s3rver");
  await mkdir(join(project, ".mlpack"), { recursive: true });
  await mkdir(s3dir);
  // Hard links: the same bytes and inodes as the bench project, without touching it.
  await sh(`cp -al '${join(PROJECT, ".mlpack", "assets")}' '${join(project, ".mlpack", "assets")}' && cp '${join(PROJECT, "mlpack.lock.json")}' '${project}/'`);
  // The tests' s3rver child (test/support/s3rver-child.mjs): its own process, so the server does not share this
  // event loop, and the OpenSSL legacy provider its listing continuation tokens need.
  const server = fork(join(ROOT, "test", "support", "s3rver-child.mjs"), [s3dir, BUCKET], {
    execArgv: ["--openssl-legacy-provider"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const requests = [];
  const pongs = new Map();
  const port = await new Promise((resolve, reject) => {
    server.once("exit", (code) => reject(new Error(`s3rver exited with ${code}`)));
    server.on("message", (m) => {
      if (m.type === "ready") resolve(m.port);
      else if (m.type === "request") requests.push({ method: m.method, bytes: m.bytes });
      else if (m.type === "pong") pongs.get(m.id)?.();
    });
  });
  server.removeAllListeners("exit");
  let pings = 0;
  const synced = () => new Promise((resolve) => {
    const id = pings++;
    pongs.set(id, resolve);
    server.send({ type: "ping", id });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const uploadedBytes = async () => {
    await synced();
    return requests.filter((r) => r.method === "PUT").reduce((n, r) => n + r.bytes, 0);
  };
  const client = new S3Client({
    region: "us-east-1",
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: CREDS.AWS_ACCESS_KEY_ID, secretAccessKey: CREDS.AWS_SECRET_ACCESS_KEY },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  const env = { ...process.env, ...CREDS, AWS_REQUEST_CHECKSUM_CALCULATION: "when_required", AWS_RESPONSE_CHECKSUM_VALIDATION: "when_required" };
  const aws = hasAwsCli();
  const hostPython = hostPythonHasBoto3();
  const refUp = aws ? "aws s3 sync --no-follow-symlinks" : "parallel SDK PutObject (8 at a time)";
  const refDown = aws ? "aws s3 sync (download)" : "parallel SDK GetObject (16 at a time)";
  const assets = join(project, ".mlpack", "assets");
  const mlpack = (...args) => [MLPACK, "-C", project, "--json", "--no-progress", ...args];
  const rows = [];
  const row = (id, label, runs, note) => {
    rows.push({ id, label, runs, note });
    return runs;
  };
  const dropPrefix = (prefix) => rm(join(s3dir, BUCKET, prefix), { recursive: true, force: true });
  try {
    // --- export to S3 (fresh prefix and no hash cache: a first export hashes every staged byte) ---
    const ours = [];
    for (let i = 0; i < RUNS; i++) {
      await rm(join(project, ".mlpack", "export-hashes.json"), { force: true });
      const r = await mustRun(mlpack("export", "--to", `s3://${BUCKET}/ours-${i}`, "--endpoint", endpoint), { env });
      const j = JSON.parse(r.stdout);
      log(`export-s3 #${i + 1}: ${r.seconds.toFixed(2)} s, ${j.written.bytes} B written`);
      ours.push({ seconds: r.seconds, maxRssMB: r.maxRssMB, writtenBytes: j.written.bytes });
      if (i < RUNS - 1) await dropPrefix(`ours-${i}`);
    }
    const keep = `ours-${RUNS - 1}`;
    const ref = [];
    for (let i = 0; i < RUNS; i++) {
      const prefix = `ref-${i}`;
      const r = aws
        ? await mustRun(["aws", "s3", "sync", "--only-show-errors", "--no-follow-symlinks", "--endpoint-url", endpoint, assets, `s3://${BUCKET}/${prefix}`], { env })
        : await (async () => {
            const t0 = process.hrtime.bigint();
            await sdkUpload(client, assets, prefix);
            return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, maxRssMB: null };
          })();
      log(`ref upload #${i + 1}: ${r.seconds.toFixed(2)} s`);
      ref.push({ seconds: r.seconds, maxRssMB: r.maxRssMB });
      if (i < RUNS - 1) await dropPrefix(prefix);
    }
    const refKeep = `ref-${RUNS - 1}`;
    const upRatio = median(ref.map((r) => r.seconds)) / median(ours.map((r) => r.seconds));
    row("export-s3", "mlpack export → S3 (s3rver), first export", ours, `${f(upRatio)}× the speed of ${refUp}`);
    row("ref-s3-upload", `reference: ${refUp}`, ref, "no content hashes, no manifest");

    // --- re-export of unchanged assets: 0 bytes, counted at the server ---
    const again = [];
    for (let i = 0; i < RUNS; i++) {
      requests.splice(0);
      const r = await mustRun(mlpack("export", "--to", `s3://${BUCKET}/${keep}`, "--endpoint", endpoint), { env });
      again.push({ seconds: r.seconds, maxRssMB: r.maxRssMB, uploadedBytes: await uploadedBytes(), requests: requests.length });
    }
    const refAgain = [];
    if (aws) {
      for (let i = 0; i < RUNS; i++) {
        requests.splice(0);
        const r = await mustRun(["aws", "s3", "sync", "--only-show-errors", "--no-follow-symlinks", "--endpoint-url", endpoint, assets, `s3://${BUCKET}/${refKeep}`], { env });
        refAgain.push({ seconds: r.seconds, maxRssMB: r.maxRssMB, uploadedBytes: await uploadedBytes(), requests: requests.length });
      }
    }
    const againRatio = refAgain.length ? median(refAgain.map((r) => r.seconds)) / median(again.map((r) => r.seconds)) : null;
    row(
      "export-s3-again",
      "mlpack export → S3, unchanged re-export",
      again,
      `uploaded ${again.map((r) => r.uploadedBytes).join(" / ")} B in ${again.map((r) => r.requests).join(" / ")} requests (server log)${againRatio ? `; ${f(againRatio)}× the speed of aws s3 sync` : ""}`,
    );
    if (refAgain.length) {
      row("ref-s3-sync-again", "reference: aws s3 sync, unchanged", refAgain, `uploaded ${refAgain.map((r) => r.uploadedBytes).join(" / ")} B in ${refAgain.map((r) => r.requests).join(" / ")} requests`);
    }

    // --- the loader's cold start: S3 → a fresh folder (Lambda's /tmp is a local disk too) ---
    const loadEnv = { ...env, AWS_ENDPOINT_URL_S3: endpoint, MLPACK_ASSETS_BUCKET: BUCKET, MLPACK_ASSETS_PREFIX: keep };
    const loaderRun = async (target) => {
      const code = "import mlpack_assets, json, sys; print(json.dumps(mlpack_assets.stats))";
      if (hostPython) {
        return run(["python3", "-c", code], { env: { ...loadEnv, PYTHONPATH: LOADER_DIR, MLPACK_ASSETS_DIR: target } });
      }
      const e = Object.entries({ ...CREDS, AWS_ENDPOINT_URL_S3: endpoint, MLPACK_ASSETS_BUCKET: BUCKET, MLPACK_ASSETS_PREFIX: keep, MLPACK_ASSETS_DIR: "/out/assets", PYTHONPATH: "/loader" }).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
      return run(["docker", "run", "--rm", "--network", "host", "--label", "dev.mlpack.bench=export", ...e, "-v", `${LOADER_DIR}:/loader:ro`, "-v", `${join(target, "..")}:/out`, PYTHON_IMAGE, "python3", "-c", code]);
    };
    const cold = [];
    const warm = [];
    for (let i = 0; i < RUNS; i++) {
      const target = join(work, `tmp-${i}`, "assets");
      await mkdir(join(target, ".."), { recursive: true });
      const r = await loaderRun(target);
      if (r.code !== 0) throw new Error(`loader failed:\n${r.stderr.slice(-2000)}`);
      const stats = JSON.parse(r.stdout.trim().split("\n").pop());
      cold.push({ seconds: r.seconds, maxRssMB: r.maxRssMB, loaderSeconds: stats.seconds, downloaded: stats.downloaded_bytes });
      const w = await loaderRun(target);
      const ws = JSON.parse(w.stdout.trim().split("\n").pop());
      warm.push({ seconds: w.seconds, maxRssMB: w.maxRssMB, loaderSeconds: ws.seconds, downloaded: ws.downloaded_bytes });
      await rm(join(work, `tmp-${i}`), { recursive: true, force: true });
    }
    const down = [];
    for (let i = 0; i < RUNS; i++) {
      const target = join(work, `ref-down-${i}`);
      await mkdir(target);
      const r = aws
        ? await mustRun(["aws", "s3", "sync", "--only-show-errors", "--endpoint-url", endpoint, `s3://${BUCKET}/${keep}`, target], { env })
        : await (async () => {
            const t0 = process.hrtime.bigint();
            await sdkDownload(client, keep, target);
            return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, maxRssMB: null };
          })();
      down.push({ seconds: r.seconds, maxRssMB: r.maxRssMB });
      await rm(target, { recursive: true, force: true });
    }
    const downRatio = median(down.map((r) => r.seconds)) / median(cold.map((r) => r.seconds));
    row(
      "loader-cold",
      `loader cold start: S3 → empty folder (${hostPython ? "host python3" : "python image, --network host"})`,
      cold,
      `${f(downRatio)}× the speed of ${refDown}; loader's own clock ${cold.map((r) => f(r.loaderSeconds)).join(" / ")} s; sha256 of every file checked`,
    );
    row("loader-warm", "loader, warm /tmp (files already verified)", warm, `downloaded ${warm.map((r) => r.downloaded).join(" / ")} B`);
    row("ref-s3-download", `reference: ${refDown}`, down, "no content checks, no symlinks");

    // --- export to a folder vs cp -a ---
    const dirRuns = [];
    const cpRuns = [];
    for (let i = 0; i < RUNS; i++) {
      const target = join(work, `efs-${i}`);
      await rm(join(project, ".mlpack", "export-hashes.json"), { force: true });
      const r = await mustRun(mlpack("export", "--to", target));
      dirRuns.push({ seconds: r.seconds, maxRssMB: r.maxRssMB });
      const again = await mustRun(mlpack("export", "--to", target));
      dirRuns[i].againSeconds = again.seconds;
      dirRuns[i].againWritten = JSON.parse(again.stdout).written.bytes;
      await rm(target, { recursive: true, force: true });
      const c = await mustRun(["cp", "-a", assets, join(work, `cp-${i}`)]);
      cpRuns.push({ seconds: c.seconds, maxRssMB: c.maxRssMB });
      await rm(join(work, `cp-${i}`), { recursive: true, force: true });
    }
    const cpRatio = median(cpRuns.map((r) => r.seconds)) / median(dirRuns.map((r) => r.seconds));
    row("export-dir", "mlpack export → folder, first export", dirRuns, `${f(cpRatio)}× the speed of cp -a (mlpack fsyncs every file and hashes every byte)`);
    row(
      "export-dir-again",
      "mlpack export → folder, unchanged re-export",
      dirRuns.map((r) => ({ seconds: r.againSeconds, maxRssMB: null })),
      `wrote ${dirRuns.map((r) => r.againWritten).join(" / ")} B`,
    );
    row("ref-cp", "reference: cp -a", cpRuns, "no fsync, no hashes, no manifest");
  } finally {
    client.destroy();
    const exited = new Promise((resolve) => server.once("exit", resolve));
    if (server.connected) server.send({ type: "stop" });
    else server.kill();
    await exited;
    await rm(work, { recursive: true, force: true });
    if (!hostPython) await run(["bash", "-c", "docker ps -aq --filter label=dev.mlpack.bench=export | xargs -r docker rm -f"]);
  }
  return { rows };
}

// `node bench/scenarios-export.mjs`: only these rows (the data must exist: run `npm run bench` once, or set MLPACK_BENCH_DATA).
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop())) {
  if (!existsSync(join(PROJECT, "mlpack.lock.json"))) throw new Error(`no bench project in ${PROJECT}`);
  const { rows } = await scenarioExport();
  for (const r of rows) {
    const s = r.runs.map((x) => x.seconds);
    process.stdout.write(`| ${r.label} | ${f(median(s))} s | ${s.map(f).join(" / ")} | ${r.note ?? ""} |\n`);
  }
}
