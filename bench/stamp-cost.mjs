// What the stage-stamp check costs the bundle pass (issue 12's budget: ≤ 5 %): buildImage in-process on one project,
// alternating runs with the stamp (every file's and folder's ctime compared in the same pass) and without it (no
// check at all, no re-digest). Prints one JSON line: { with: [{seconds, cpuSeconds}], without: [...] }.
// usage: node bench/stamp-cost.mjs <projectDir> <runs>
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./measure.mjs";

const [project, runs = "3"] = process.argv.slice(2);
const { buildImage } = await import(join(ROOT, "dist", "image", "build-image.js"));
const { readStageStamp } = await import(join(ROOT, "dist", "lock", "stage-stamp.js"));
const lock = JSON.parse(readFileSync(join(project, "mlpack.lock.json"), "utf8"));
const stageDir = join(project, ".mlpack", "assets");
const stamps = new Map();
for (const a of lock.assets) stamps.set(a.id, await readStageStamp(stageDir, a));
if ([...stamps.values()].some((s) => s === undefined)) throw new Error("stamp-cost: the project's assets are not stamped");
const layoutDir = join(project, ".mlpack", "oci-stamp-cost");
async function once(withStamp) {
  rmSync(layoutDir, { recursive: true, force: true });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await buildImage({
    assets: lock.assets.map((a) => ({
      id: a.id,
      target: a.target,
      dir: join(stageDir, a.id),
      layering: a.library === "huggingface" ? "hf-repos" : "single",
      expect: { files: a.files, bytes: a.bytes },
      ...(withStamp ? { stampCtimeMs: stamps.get(a.id) } : {}),
    })),
    assetRoot: lock.assetRoot,
    compression: "auto",
    platform: "linux/amd64",
    sourceDateEpoch: 0,
    labels: {},
    layoutDir,
    ...(withStamp ? { verifyAsset: async () => { throw new Error("stamp-cost: the tree changed during the bench"); } } : {}),
  });
  const cpu = process.cpuUsage(cpu0);
  return { seconds: (performance.now() - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}
const out = { with: [], without: [] };
for (let i = 0; i < Number(runs); i++) {
  // Alternate, and swap which goes first, so drift on a busy machine hits both alike.
  for (const withStamp of i % 2 === 0 ? [true, false] : [false, true]) out[withStamp ? "with" : "without"].push(await once(withStamp));
}
rmSync(layoutDir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify(out)}\n`);
