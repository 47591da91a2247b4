// Turns measured rows into the Markdown table, the PASS/FAIL target list and the results.json document.
import { stats } from "./measure.mjs";

const MiB = 1024 * 1024;
const f = (x, d = 2) => (x === null || x === undefined ? "–" : x.toFixed(d));

/** Adds median/min/max seconds, MiB/s (of the staged asset bytes, when the row moves all of them) and peak RSS. */
export function summarize(row, dataBytes) {
  const s = stats(row.runs.map((r) => r?.seconds));
  const rss = row.runs.map((r) => r?.maxRssMB).filter((x) => x != null);
  return {
    ...row,
    seconds: s,
    cpu: stats(row.runs.map((r) => r?.cpuSeconds)),
    mibPerSec: row.throughput === false || !s.median ? null : dataBytes / MiB / s.median,
    peakRssMB: rss.length ? Math.max(...rss) : null,
  };
}

/** A row that is the sum of two rows' medians/mins/maxes (bundle + push, build + push). */
export function sumRow(id, label, a, b, dataBytes) {
  const seconds = {
    median: a.seconds.median + b.seconds.median,
    min: a.seconds.min + b.seconds.min,
    max: a.seconds.max + b.seconds.max,
  };
  return {
    id,
    label,
    runs: [],
    seconds,
    mibPerSec: dataBytes / MiB / seconds.median,
    peakRssMB: null,
    note: "sum of the two rows' medians (min, max likewise)",
  };
}

export function markdownTable(rows) {
  const head =
    "| scenario | runs | median s | min s | max s | CPU s (user+sys) | MiB/s | peak RSS MB | notes |\n|---|---:|---:|---:|---:|---:|---:|---:|---|";
  const lines = rows.map(
    (r) =>
      `| ${r.label.replaceAll("|", "\\|")} | ${r.runs.length || "–"} | ${f(r.seconds.median)} | ${f(r.seconds.min)} | ${f(r.seconds.max)} | ${f(r.cpu?.median)} | ${f(r.mibPerSec, 0)} | ${f(r.peakRssMB, 0)} | ${r.note ?? ""} |`,
  );
  return [head, ...lines].join("\n");
}

export function targets(byId) {
  const t = [];
  const ratio = (num, den) => (num && den ? num.seconds.median / den.seconds.median : null);
  const add = (name, value, pass, detail) => t.push({ name, value, pass, detail });
  const b = byId["bundle-auto"];
  const r1 = ratio(byId["tar-sha256"], b);
  add(
    "bundle ≥ 1.0× `tar | sha256sum` throughput",
    r1,
    r1 !== null && r1 >= 1.0,
    `${f(r1)}× (tar|sha256sum ${f(byId["tar-sha256"]?.seconds.median)} s / bundle ${f(b?.seconds.median)} s)`,
  );
  const r2 = ratio(byId["manual-build"], b);
  add("bundle ≥ 5× faster than tar + docker build", r2, r2 !== null && r2 >= 5, `${f(r2)}×`);
  const r3 = ratio(byId["manual-total"], byId["mlpack-total"]);
  add(
    "bundle + push ≥ 3× faster than tar + build + docker push",
    r3,
    r3 !== null && r3 >= 3,
    `${f(r3)}× (${f(byId["manual-total"]?.seconds.median)} s vs ${f(byId["mlpack-total"]?.seconds.median)} s)`,
  );
  const same = byId["repush-unchanged"]?.runs ?? [];
  const maxUp = Math.max(...same.map((r) => r.uploadedBytes));
  add(
    "unchanged re-push uploads 0 blob bytes",
    maxUp,
    same.length > 0 && maxUp === 0,
    `uploaded ${same.map((r) => r.uploadedBytes).join(", ")} B; manifest ${[...new Set(same.map((r) => r.manifestAction))].join("/")}`,
  );
  const noop = byId["repush-unchanged"]?.seconds.median;
  const start = byId["mlpack-version"]?.seconds.median;
  const own = noop != null && start != null ? noop - start : null;
  add(
    "no-op push ≤ 0.15 s of mlpack's own time (over `mlpack --version`)",
    own,
    own !== null && own <= 0.15,
    `${f(own)} s (${f(noop)} s vs ${f(start)} s)`,
  );
  const ch = byId["push-one-changed"]?.runs ?? [];
  add(
    "one-asset change uploads only that layer",
    null,
    ch.length > 0 && ch.every((r) => r.onlyChangedLayer),
    ch
      .map(
        (r) =>
          `${r.uploadedLayerCount} layer (${r.uploadedLayerBytes} B) + config; ${r.uploadedBytes} B total`,
      )
      .join("; "),
  );
  const rss = ["bundle-auto", "bundle-stored", "bundle-gzip", "bundle-auto-cold", "push-auto"]
    .map((id) => [id, byId[id]?.peakRssMB])
    .filter(([, v]) => v != null);
  const peak = Math.max(...rss.map(([, v]) => v));
  add(
    "peak RSS < 200 MB (bundle, push; 2 GiB file)",
    peak,
    rss.length > 0 && peak < 200,
    rss.map(([id, v]) => `${id} ${f(v, 0)} MB`).join(", "),
  );
  return t;
}

export const targetLines = (t) =>
  t.map((x) => `- ${x.report ? "INFO" : x.pass ? "PASS" : "FAIL"}  ${x.name}: ${x.detail}`).join("\n");
