// Issue 17's discover row: `mlpack discover` (docker runner) on a ~1 GiB Hugging Face cache against the manual
// route, `docker run` + `docker cp` of the same folder, alternating, each in a fresh destination. Wall time and
// CPU time (user + sys, GNU time) per run: the machine is shared, so CPU says what wall time cannot.
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BENCH_DIR, DATA_DIR, MLPACK, mustRun, run, stats } from "./measure.mjs";
import { RUNS } from "./scenarios.mjs";

const BUSYBOX = process.env.MLPACK_TEST_BUSYBOX_IMAGE ?? "mlpack-test/busybox:latest";
const IMAGE = "mlpack-bench-discover:1g";
const GIB = Number(process.env.MLPACK_BENCH_DISCOVER_MIB ?? 1024) * 1024 * 1024;
const HF = "/root/.cache/huggingface";
/** The "model": copies the image's pre-made cache where huggingface_hub would have downloaded it. */
const COMMAND = `mkdir -p ${HF}/hub && cp -a /data/. ${HF}/hub/`;
const log = (m) => process.stderr.write(`[bench] ${m}\n`);

/** Runs argv under GNU time: wall seconds, CPU seconds (user + sys) and peak RSS. */
async function timed(argv, opts = {}) {
  const dir = await mkdtemp(join(tmpdir(), "mlpack-bench-cpu-"));
  const file = join(dir, "t");
  const child = spawn("/usr/bin/time", ["-f", "%e %U %S %M", "-o", file, ...argv], {
    cwd: opts.cwd ?? process.cwd(),
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (b) => {
    stderr += b;
  });
  const code = await new Promise((resolve) => child.on("close", resolve));
  const [wall, user, sys, rssKb] = (await readFile(file, "utf8")).trim().split(/\s+/).slice(-4).map(Number);
  await rm(dir, { recursive: true, force: true });
  if (code !== 0) throw new Error(`${argv.join(" ")} exited ${code}\n${stderr.slice(-2000)}`);
  return { seconds: wall, cpuSeconds: user + sys, maxRssMB: rssKb / 1024 };
}

/** An image holding a ~1 GiB HF cache (one incompressible weights file + 2,000 small text files) under /data. */
async function buildImage() {
  const ctx = await mkdtemp(join(tmpdir(), "mlpack-bench-img-"));
  const repo = "/data/models--bench--weights-1g";
  await writeFile(
    join(ctx, "Dockerfile"),
    [
      `FROM ${BUSYBOX}`,
      `RUN mkdir -p ${repo}/blobs ${repo}/snapshots/c ${repo}/refs && head -c ${GIB} /dev/urandom > ${repo}/blobs/w \\`,
      ` && ln -s ../../blobs/w ${repo}/snapshots/c/model.safetensors && printf c > ${repo}/refs/main \\`,
      " && mkdir -p /data/datasets--bench--text/blobs && cd /data/datasets--bench--text/blobs \\",
      " && i=0; while [ $i -lt 2000 ]; do head -c 3000 /dev/urandom | od -An -x > f$i; i=$((i+1)); done",
      "LABEL mlpack-bench=1",
      "",
    ].join("\n"),
  );
  log(`building ${IMAGE} (${(GIB / 1024 ** 3).toFixed(2)} GiB cache)`);
  await mustRun(["docker", "build", "-q", "-t", IMAGE, ctx]);
  await rm(ctx, { recursive: true, force: true });
}

export async function scenarioDiscoverExport() {
  await buildImage();
  const work = join(DATA_DIR, "discover-1g");
  const rows = {
    mlpack: { id: "discover-1g", label: "discover, docker runner, ~1 GiB HF cache", runs: [] },
    manual: { id: "docker-run-cp-1g", label: "docker run + docker cp of the same folder", runs: [] },
    cp: { id: "docker-cp-1g", label: "docker cp alone", runs: [] },
    rm: { id: "docker-rm-1g", label: "docker rm of that container (mlpack's time includes it)", runs: [] },
  };
  for (let i = 0; i < RUNS; i++) {
    await rm(work, { recursive: true, force: true });
    await mkdir(join(work, "project"), { recursive: true });
    const m = await timed(
      [MLPACK, "discover", "-q", "--no-progress", "--image", IMAGE, "--network", "none", "--", "sh", "-c", COMMAND],
      { cwd: join(work, "project") },
    );
    rows.mlpack.runs.push(m);
    const name = `mlpack-bench-discover-${process.pid}-${i}`;
    await mkdir(join(work, "cp"), { recursive: true });
    const r = await timed(["docker", "run", "--name", name, "--label", "mlpack-bench=1", "--network", "none", IMAGE, "sh", "-c", COMMAND]);
    const c = await timed(["docker", "cp", `${name}:${HF}`, join(work, "cp")]);
    const d = await timed(["docker", "rm", "-f", name]);
    rows.manual.runs.push({ seconds: r.seconds + c.seconds, cpuSeconds: r.cpuSeconds + c.cpuSeconds, maxRssMB: c.maxRssMB });
    rows.cp.runs.push(c);
    rows.rm.runs.push(d);
    log(
      `discover 1 GiB #${i + 1}: mlpack ${m.seconds.toFixed(2)} s (CPU ${m.cpuSeconds.toFixed(2)} s) | docker run ${r.seconds.toFixed(2)} s + cp ${c.seconds.toFixed(2)} s (CPU ${c.cpuSeconds.toFixed(2)} s) | rm ${d.seconds.toFixed(2)} s`,
    );
  }
  await rm(work, { recursive: true, force: true });
  await run(["docker", "rmi", "-f", IMAGE]);
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const row of Object.values(rows)) row.note = `CPU ${median(row.runs.map((x) => x.cpuSeconds)).toFixed(2)} s (median)`;
  return { rows: Object.values(rows) };
}

/** PASS/FAIL: discover within 1.2× of docker run + docker cp (medians of the same run). */
export function discoverExportTargets(byId) {
  const a = byId["discover-1g"];
  const b = byId["docker-run-cp-1g"];
  if (!a || !b) return [];
  const ratio = a.seconds.median / b.seconds.median;
  const rm = byId["docker-rm-1g"];
  const withRm = rm ? a.seconds.median / (b.seconds.median + rm.seconds.median) : null;
  return [
    {
      name: "discover (docker runner, ~1 GiB) ≤ 1.2× `docker run` + `docker cp`",
      value: ratio,
      pass: ratio <= 1.2,
      detail: `${ratio.toFixed(2)}× (${a.seconds.median.toFixed(2)} s vs ${b.seconds.median.toFixed(2)} s; ${a.note} vs ${b.note})`,
    },
    ...(rm
      ? [
          {
            // The same work: discover removes its container before it returns; the manual route's rm is timed apart.
            name: "discover ≤ 1.2× `docker run` + `docker cp` + `docker rm` (the container removal discover includes)",
            value: withRm,
            pass: withRm <= 1.2,
            detail: `${withRm.toFixed(2)}× (${a.seconds.median.toFixed(2)} s vs ${(b.seconds.median + rm.seconds.median).toFixed(2)} s)`,
          },
        ]
      : []),
  ];
}

/**
 * `discover --runner local` staging the main data set (2 GiB of weights + 20k text files + their 20k snapshot
 * links, written by bench/copy-cache.sh into the run's throwaway HOME) against that command alone writing the
 * same tree into a temp HOME: the difference is what discover adds (listing, classifying, moving 40k entries into
 * .mlpack/assets, the lock's tree digest). Alternating, a fresh project each run. MLPACK_BENCH_ONLY key:
 * discover-local.
 */
export async function scenarioDiscoverLocal(src) {
  const work = join(DATA_DIR, "discover-local");
  const rows = {
    mlpack: { id: "discover-local-2g", label: "discover --runner local, 2 GiB + 20k files (+ 20k links)", runs: [] },
    command: { id: "copy-cache-alone", label: "the same command alone (cp -a into a temp HOME)", runs: [] },
  };
  const script = join(BENCH_DIR, "copy-cache.sh");
  for (let i = 0; i < RUNS; i++) {
    await rm(work, { recursive: true, force: true });
    await mkdir(join(work, "project"), { recursive: true });
    await mkdir(join(work, "home"), { recursive: true });
    await run(["sync"]);
    rows.mlpack.runs.push(
      await timed([MLPACK, "discover", "-q", "--no-progress", "--runner", "local", "--", "sh", script, src, "1"], { cwd: join(work, "project") }),
    );
    await run(["sync"]);
    rows.command.runs.push(await timed(["env", "-u", "HF_HUB_CACHE", "-u", "HF_HOME", "-u", "XDG_CACHE_HOME", `HOME=${join(work, "home")}`, "sh", script, src, "1"]));
    const [m, c] = [rows.mlpack.runs.at(-1), rows.command.runs.at(-1)];
    log(`discover local #${i + 1}: mlpack ${m.seconds.toFixed(2)} s (CPU ${m.cpuSeconds.toFixed(2)} s, ${m.maxRssMB.toFixed(0)} MB) | command alone ${c.seconds.toFixed(2)} s`);
  }
  await rm(work, { recursive: true, force: true });
  const median = (row) => stats(row.runs.map((r) => r.seconds)).median;
  rows.mlpack.note = `adds ${(median(rows.mlpack) - median(rows.command)).toFixed(2)} s to the command (medians)`;
  return { rows: Object.values(rows) };
}
