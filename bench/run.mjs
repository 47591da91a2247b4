// `npm run bench`: generate/reuse bench/data, run every scenario RUNS times, print a Markdown table and the
// PASS/FAIL targets, write bench/results.json, and remove every image, container and repository it created.
// Env: MLPACK_BENCH_RUNS (default 3), MLPACK_BENCH_ONLY=bundle,push,repush,discover,discover-export,discover-local,bundle2,verify,assemble,export (subset; push needs bundle),
// MLPACK_BENCH_STRICT=1 (exit 1 when a target fails), MLPACK_BENCH_DATA / MLPACK_BENCH_WEIGHTS_MIB / MLPACK_BENCH_TEXT_FILES (smoke runs).
import { execSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { ensureData, PROJECT, SPEC, SRC } from "./data.mjs";
import { BENCH_DIR, sh } from "./measure.mjs";
import { cleanUpRegistry } from "./registry.mjs";
import { scenarioAssemble } from "./scenarios-assemble.mjs";
import { scenarioExport } from "./scenarios-export.mjs";
import { markdownTable, summarize, sumRow, targetLines, targets } from "./report.mjs";
import { discoverExportTargets, scenarioDiscoverExport, scenarioDiscoverLocal } from "./scenarios-discover.mjs";
import {
  cleanUpDocker,
  RUNS,
  scenarioBundle,
  scenarioDiscover,
  scenarioPush,
  scenarioRepush,
} from "./scenarios.mjs";
import { scenarioVerify } from "./scenarios-verify.mjs";

const NO_THROUGHPUT = new Set([
  "discover-1g",
  "discover-local-2g",
  "copy-cache-alone",
  "docker-run-cp-1g",
  "docker-cp-1g",
  "docker-rm-1g",
  "repush-unchanged",
  "mlpack-version",
  "push-one-changed",
  "discover-docker",
  "docker-run",
  "discover-local",
  "sh-local",
]);
// Each area's scenarios (bench/scenarios-<area>.mjs): `name` (the MLPACK_BENCH_ONLY key), `scenario()` → { rows },
// `targets(byId)` → [{ name, value, pass, detail }]. One line per area.
const AREAS = [await import("./scenarios-bundle.mjs")];
const only = process.env.MLPACK_BENCH_ONLY?.split(",");
const want = (name) => !only || only.includes(name);
const tryCmd = (c) => {
  try {
    return execSync(c, { encoding: "utf8" }).trim();
  } catch {
    return null;
  }
};

async function main() {
  const started = Date.now();
  const data = await ensureData();
  const du = (
    await sh(
      `du -sb '${join(PROJECT, ".mlpack", "assets")}' | cut -f1; find '${join(PROJECT, ".mlpack", "assets")}' -type f | wc -l`,
    )
  ).stdout.split("\n");
  const dataBytes = Number(du[0]);
  const env = {
    node: process.version,
    cpu: `${cpus().length}× ${cpus()[0]?.model}`,
    memGiB: +(totalmem() / 1024 ** 3).toFixed(1),
    kernel: tryCmd("uname -r"),
    docker: tryCmd("docker version --format '{{.Server.Version}}'"),
    fs: tryCmd(`df -T '${BENCH_DIR}' | tail -1 | awk '{print $2}'`),
    loadAvgAtStart: tryCmd("cut -d' ' -f1-3 /proc/loadavg"),
    data: {
      stagedBytes: dataBytes,
      stagedFiles: Number(du[1]),
      weightsBytes: SPEC.weightsBytes,
      textFiles: SPEC.textFiles,
      initialDiscoverSeconds: data.discoverSeconds,
    },
    runs: RUNS,
  };
  const raw = [];
  let pageCache = "warm";
  try {
    if (want("bundle")) {
      const r = await scenarioBundle();
      raw.push(...r.rows);
      pageCache = r.pageCache;
    }
    let lastRepo = null;
    if (want("push")) {
      const r = await scenarioPush();
      raw.push(...r.rows);
      lastRepo = r.lastRepo;
    }
    if (want("repush") && lastRepo) raw.push(...(await scenarioRepush(lastRepo)).rows);
    if (want("discover")) raw.push(...(await scenarioDiscover()).rows);
    for (const area of AREAS) if (want(area.name)) raw.push(...(await area.scenario()).rows);
    if (want("assemble")) raw.push(...(await scenarioAssemble()).rows);
    if (want("discover-export")) raw.push(...(await scenarioDiscoverExport()).rows);
    if (want("discover-local")) raw.push(...(await scenarioDiscoverLocal(SRC)).rows);
    if (want("export")) raw.push(...(await scenarioExport()).rows);
  } finally {
    env.cleanup = { docker: await cleanUpDocker(), registry: await cleanUpRegistry() };
  }

  const rows = raw.map((r) => summarize({ ...r, throughput: r.throughput ?? !NO_THROUGHPUT.has(r.id) }, dataBytes));
  const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
  const extra = [];
  if (want("verify")) extra.push(...(await scenarioVerify(RUNS)));
  if (byId["bundle-auto"] && byId["push-auto"])
    extra.push(
      sumRow("mlpack-total", "mlpack bundle + push", byId["bundle-auto"], byId["push-auto"], dataBytes),
    );
  if (byId["manual-build"] && byId["docker-push"])
    extra.push(
      sumRow(
        "manual-total",
        "tar + docker build + docker push",
        byId["manual-build"],
        byId["docker-push"],
        dataBytes,
      ),
    );
  for (const r of extra) byId[r.id] = r;
  if (byId["discover-docker"] && byId["docker-run"])
    byId["discover-docker"].note =
      `overhead vs docker run: +${(byId["discover-docker"].seconds.median - byId["docker-run"].seconds.median).toFixed(2)} s`;
  if (byId["discover-local"] && byId["sh-local"])
    byId["discover-local"].note =
      `overhead vs sh: +${(byId["discover-local"].seconds.median - byId["sh-local"].seconds.median).toFixed(2)} s`;
  for (const id of ["repush-unchanged", "push-one-changed"])
    if (byId[id]) byId[id].note = `uploaded ${byId[id].runs.map((r) => r.uploadedBytes).join(" / ")} B`;
  const allRows = [...rows, ...extra];
  // An area that was not run (MLPACK_BENCH_ONLY) has no rows: its targets are left out rather than failed.
  // The first round's targets need its bundle/push rows: listed only when those areas ran.
  const firstRound = ["bundle", "push", "repush"].some(want) ? targets(byId) : [];
  const tgs = [...firstRound, ...discoverExportTargets(byId), ...AREAS.filter((area) => want(area.name)).flatMap((area) => area.targets(byId))];

  const md = [
    `### mlpack bench (${env.cpu}, ${env.memGiB} GiB RAM, node ${env.node}, Docker ${env.docker}, ${env.fs})`,
    "",
    `Data: ${(dataBytes / 1024 ** 3).toFixed(2)} GiB staged in ${env.data.stagedFiles} files (one ${SPEC.weightsBytes / 1024 ** 3} GiB incompressible weights file + ${SPEC.textFiles} small text files + a small repo). Page cache: ${pageCache}. MiB/s = staged bytes / median time. ${RUNS} runs each.`,
    "",
    markdownTable(allRows),
    "",
    "Targets:",
    targetLines(tgs),
  ].join("\n");
  process.stdout.write(`${md}\n`);
  const results = {
    generatedAt: new Date().toISOString(),
    elapsedSeconds: (Date.now() - started) / 1000,
    env: { ...env, pageCache },
    rows: allRows,
    targets: tgs,
    markdown: md,
  };
  await writeFile(join(BENCH_DIR, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  if (process.env.MLPACK_BENCH_STRICT === "1" && !tgs.every((t) => t.pass)) process.exitCode = 1;
}

await main();
