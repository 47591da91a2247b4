// Where does `bundle` spend its time? Calls buildImage() from a dist/ tree directly and prints the scan phase and
// each layer's time, throughput and peak RSS. Point it at a patched copy of dist/ to measure a fix before making it.
// usage: node bench/layer-times.mjs [distDir=dist] [projectDir=bench/data/project] [auto|gzip|stored|none] [workers]
import { readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { PROJECT } from "./data.mjs";
import { ROOT } from "./measure.mjs";

const [dist = join(ROOT, "dist"), project = PROJECT, compression = "auto", workers] = process.argv.slice(2);
const { buildImage } = await import(join(resolve(dist), "image", "build-image.js"));
const lock = JSON.parse(readFileSync(join(project, "mlpack.lock.json"), "utf8"));
const layoutDir = join(project, ".mlpack", "oci-layer-times");
rmSync(layoutDir, { recursive: true, force: true });

const mb = (x) => `${(x / 2 ** 20).toFixed(0)} MB`;
const maxRss = () => mb(process.resourceUsage().maxRSS * 1024);
const t0 = performance.now();
const starts = new Map();
const emit = (e) => {
  if (e.type === "progress" && starts.size === 0)
    console.log(
      `scan + plan: ${((performance.now() - t0) / 1000).toFixed(2)} s, heap ${mb(process.memoryUsage().heapUsed)}, peak RSS ${maxRss()}`,
    );
  if (e.type === "progress" && !starts.has(e.id))
    starts.set(e.id, { at: performance.now(), label: e.label, total: e.total });
  if (e.type === "progress-end") {
    const s = starts.get(e.id);
    const sec = (performance.now() - s.at) / 1000;
    console.log(
      `${s.label}: ${sec.toFixed(2)} s, ${(s.total / 2 ** 20 / sec).toFixed(0)} MiB/s, peak RSS ${maxRss()}`,
    );
  }
};
// Same inputs bundle.ts derives from the lock (HF caches: one layer per repo folder).
const r = await buildImage({
  assets: lock.assets.map((a) => ({
    id: a.id,
    target: a.target.replace(/^\/cache\/?/, ""),
    dir: join(project, ".mlpack", "assets", a.id),
    layering: a.library === "huggingface" ? "hf-repos" : "single",
  })),
  assetRoot: "/cache",
  compression,
  platform: "linux/amd64",
  sourceDateEpoch: 0,
  labels: {},
  layoutDir,
  emit,
  ...(workers !== undefined ? { workers: Number(workers) } : {}),
});
console.log(
  `total ${((performance.now() - t0) / 1000).toFixed(2)} s, peak RSS ${maxRss()}, layers ${r.layers.map((l) => l.digest.slice(7, 19)).join(" ")}`,
);
rmSync(layoutDir, { recursive: true, force: true });
