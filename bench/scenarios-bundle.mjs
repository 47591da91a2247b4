// Bundle scenarios of issue 17's table, each against its comparison in the same run, alternating runs:
// small files alone (20k, 100k) vs `tar | sha256sum`, and with the work made equal (bundle `--compression none`
// vs `tar | sha256sum`; bundle auto vs `tar | gzip -1` hashed on both sides); the main data set vs `tar | openssl dgst -sha256` and the one-
// and two-pass Node hash floors; weights alone at 0.5 … 8 GiB (linearity) vs one sha256 pass; a cold page cache on
// 20k small files; umoci and buildah where installed; the stage-stamp check's cost. MLPACK_BENCH_ONLY key: bundle2.
// Env: MLPACK_BENCH_SCALING_MIB (default 512,1024,2048,4096,8192), MLPACK_BENCH_BIG_RUNS (runs of the ≥ 4 GiB rows, 2),
// MLPACK_BENCH_BUNDLE2_PARTS=main,small,redigest,cold,scaling,tools,stamp (a subset of this file's sections).
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { PROJECT } from "./data.mjs";
import { BENCH_DIR, DATA_DIR, dropCaches, MLPACK, mustRun, run, sh, warm } from "./measure.mjs";
import { smallFilesProject, weightsProject } from "./projects.mjs";

export const name = "bundle2";
const RUNS = Number(process.env.MLPACK_BENCH_RUNS ?? 3);
const BIG_RUNS = Number(process.env.MLPACK_BENCH_BIG_RUNS ?? 2);
const SCALING = (process.env.MLPACK_BENCH_SCALING_MIB ?? "512,1024,2048,4096,8192").split(",").map(Number);
const log = (m) => process.stderr.write(`[bench] ${m}\n`);
const assetsOf = (project) => join(project, ".mlpack", "assets");
const has = async (cmd) => (await run(["bash", "-c", `command -v ${cmd}`])).code === 0;

async function bundle(project, ...args) {
  await rm(join(project, ".mlpack", "oci"), { recursive: true, force: true });
  const r = await mustRun([MLPACK, "-C", project, "--json", "--no-progress", "bundle", ...args]);
  return { seconds: r.seconds, cpuSeconds: r.cpuSeconds, maxRssMB: r.maxRssMB, digest: JSON.parse(r.stdout).digest };
}

/** Runs each of `cases` RUNS times, alternating (a1 b1 a2 b2 …) so load drift on a shared machine hits all alike. */
async function alternate(runs, cases, before) {
  const out = cases.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (const [k, c] of cases.entries()) {
      if (before) await before(c);
      const r = await c.fn();
      log(`${c.label} #${i + 1}: ${r.seconds.toFixed(2)} s wall, ${r.cpuSeconds?.toFixed(2)} s CPU${r.maxRssMB ? `, ${r.maxRssMB.toFixed(0)} MB` : ""}`);
      out[k].push(r);
    }
  }
  // MiB/s is of the main data set's bytes: only its own rows have it.
  return cases.map((c, k) => ({ id: c.id, label: c.label, runs: out[k], throughput: c.id.startsWith("b2-main-") }));
}

const tarSha = (dir) => () => mustRun(["bash", "-c", `tar -cf - -C '${dir}' . | sha256sum`]);
const tarOpenssl = (dir) => () => mustRun(["bash", "-c", `tar -cf - -C '${dir}' . | openssl dgst -sha256`]);
/**
 * The floor of a tool that must also keep what it hashed: the same tar, hashed by OpenSSL and written to a
 * file with an fsync at the end (bundle writes and fsyncs its blobs; `tar | openssl` writes nothing).
 */
const FLOOR_OUT = join(DATA_DIR, "floor-write.tar");
const tarOpensslWrite = (dir) => () =>
  mustRun([
    "bash",
    "-c",
    `set -o pipefail; rm -f '${FLOOR_OUT}'; tar -cf - -C '${dir}' . | tee >(openssl dgst -sha256 >/dev/null) | dd of='${FLOOR_OUT}' bs=4M conv=fsync status=none`,
  ]);
/**
 * The work bundle auto does on text, by the classic tools: the tar hashed (diff_id), deflated at level 1 (auto's
 * level for compressible blocks) and the gzip stream hashed (digest). Nothing written, like `tar | sha256sum`.
 */
const tarGzip = (dir) => () =>
  mustRun(["bash", "-c", `set -o pipefail; tar -cf - -C '${dir}' . | tee >(sha256sum >/dev/null) | gzip -1 | sha256sum >/dev/null`]);
const nodeHash = (dir, passes) => () =>
  mustRun(["bash", "-c", `tar -cf - -C '${dir}' . | node '${join(BENCH_DIR, "hash-limit.mjs")}' ${passes}`]);

const PARTS = process.env.MLPACK_BENCH_BUNDLE2_PARTS?.split(",");
const part = (name) => !PARTS || PARTS.includes(name);

export async function scenario() {
  const rows = [];
  // 1. The main data set (2 GiB weights + 20k small files): hash floors next to bundle auto and none.
  const main = assetsOf(PROJECT);
  if (part("main")) await warm(main);
  if (part("main"))
    rows.push(
    ...(await alternate(RUNS, [
      { id: "b2-main-auto", label: "bundle auto, 2 GiB + 20k files", fn: () => bundle(PROJECT) },
      { id: "b2-main-none", label: "bundle --compression none, same", fn: () => bundle(PROJECT, "--compression", "none") },
      { id: "b2-main-tar-openssl", label: "tar -cf - . | openssl dgst -sha256 (SHA-NI)", fn: tarOpenssl(main) },
      { id: "b2-main-tar-openssl-write", label: "the same, also written to a file + fsync (dd conv=fsync)", fn: tarOpensslWrite(main) },
      { id: "b2-main-tar-sha256sum", label: "tar -cf - . | sha256sum", fn: tarSha(main) },
      { id: "b2-main-node1", label: "tar | one sha256 pass in Node (floor of --compression none)", fn: nodeHash(main, 1) },
      { id: "b2-main-node2", label: "tar | two sha256 passes in Node, one thread (the old design's floor)", fn: nodeHash(main, 2) },
    ])),
  );
  await rm(FLOOR_OUT, { force: true });
  // 2. Small files alone.
  for (const count of part("small") ? [20_000, 100_000] : []) {
    const project = await smallFilesProject(count);
    await warm(assetsOf(project));
    rows.push(
      ...(await alternate(RUNS, [
        { id: `b2-small-${count}`, label: `bundle auto, ${count / 1000}k small files alone`, fn: () => bundle(project) },
        { id: `b2-small-${count}-tar`, label: `tar -cf - . | sha256sum, ${count / 1000}k small files`, fn: tarSha(assetsOf(project)) },
        { id: `b2-small-${count}-none`, label: `bundle --compression none, ${count / 1000}k small files`, fn: () => bundle(project, "--compression", "none") },
        { id: `b2-small-${count}-tar-gzip`, label: `tar | tee >(sha256sum) | gzip -1 | sha256sum (auto's work), ${count / 1000}k`, fn: tarGzip(assetsOf(project)) },
        { id: `b2-small-${count}-node-floor`, label: `Node floor: sync walk + read + one sha256, nothing written, ${count / 1000}k`, fn: () => mustRun(["node", join(BENCH_DIR, "small-floor.mjs"), assetsOf(project)]) },
      ])),
    );
  }
  // 2b. A tree without a usable stage stamp (restored from a CI cache, copied, touched): bundle re-digests it
  // against the lock first (lock/tree-digest), then builds. Removing the stamp before each run forces that path.
  for (const count of part("redigest") ? [20_000, 100_000] : []) {
    const project = await smallFilesProject(count);
    await warm(assetsOf(project));
    const stamp = join(assetsOf(project), ".stamp-huggingface.json");
    rows.push(
      ...(await alternate(
        RUNS,
        [
          { id: `b2-redigest-${count}`, label: `bundle auto, ${count / 1000}k small files, no stage stamp (full re-digest first)`, fn: () => bundle(project), unstamp: true },
          { id: `b2-stamped-${count}`, label: `bundle auto, the same with its stamp`, fn: () => bundle(project) },
        ],
        (c) => (c.unstamp ? rm(stamp, { force: true }) : undefined),
      )),
    );
  }
  // 3. Cold page cache, 20k small files: drop caches before each run (root only).
  if (part("cold") && (await dropCaches())) {
    const project = await smallFilesProject(20_000);
    rows.push(
      ...(await alternate(
        RUNS,
        [
          { id: "b2-small-cold", label: "bundle auto, 20k small files, cold page cache", fn: () => bundle(project) },
          { id: "b2-small-cold-tar", label: "tar | sha256sum, 20k small files, cold page cache", fn: tarSha(assetsOf(project)) },
        ],
        () => dropCaches(),
      )),
    );
  }
  // 4. Weights alone: is bundle linear in the bytes (past the ~2 GiB where writeback starts)?
  for (const mib of part("scaling") ? SCALING : []) {
    const project = await weightsProject(mib);
    const file = join(assetsOf(project), "huggingface", "hub", `models--bench--weights-${mib}m`, "blobs", "weights");
    await warm(assetsOf(project));
    rows.push(
      ...(await alternate(mib >= 4096 ? BIG_RUNS : RUNS, [
        { id: `b2-weights-${mib}`, label: `bundle auto, ${mib / 1024} GiB weights alone`, fn: () => bundle(project) },
        { id: `b2-weights-${mib}-sha`, label: `openssl dgst -sha256, ${mib / 1024} GiB (one pass)`, fn: () => mustRun(["openssl", "dgst", "-sha256", file]) },
      ])),
    );
    // The 8 GiB project is 8 GiB of disk: keep it only while it is measured.
    if (mib >= 8192 && process.env.MLPACK_BENCH_KEEP_BIG !== "1") await rm(project, { recursive: true, force: true });
  }
  // 6. The stage-stamp check (issue 12): the same pass with and without it.
  if (part("stamp")) {
    const out = await mustRun(["node", join(BENCH_DIR, "stamp-cost.mjs"), PROJECT, String(RUNS)]);
    const stamp = JSON.parse(out.stdout.trim().split("\n").pop());
    rows.push({ id: "b2-stamp-with", label: "buildImage with the stage-stamp check (in-process)", runs: stamp.with, throughput: true });
    rows.push({ id: "b2-stamp-without", label: "buildImage without it", runs: stamp.without, throughput: true });
  }
  // 5. Other daemonless builders, where installed, on the main data set (one run each: they are slow).
  const tools = join(DATA_DIR, "tools");
  await rm(tools, { recursive: true, force: true });
  await mkdir(tools, { recursive: true });
  if (part("tools") && (await has("umoci"))) {
    const layout = join(tools, "umoci");
    const bundleDir = join(tools, "umoci-bundle");
    await mustRun(["umoci", "init", "--layout", layout]);
    await mustRun(["umoci", "new", "--image", `${layout}:x`]);
    await mustRun(["umoci", "unpack", "--rootless", "--image", `${layout}:x`, bundleDir]);
    // A copy, not hard links: linking would change the staged files' ctimes (and so their stage stamp).
    await sh(`mkdir -p '${bundleDir}/rootfs/cache' && cp -a '${main}/.' '${bundleDir}/rootfs/cache/'`);
    await warm(main);
    const r = await mustRun(["umoci", "repack", "--image", `${layout}:x`, bundleDir]);
    log(`umoci repack: ${r.seconds.toFixed(2)} s`);
    rows.push({ id: "b2-umoci", label: "umoci repack of the main data set (gzip)", runs: [r], throughput: true });
  }
  if (part("tools") && (await has("buildah"))) {
    await warm(main);
    const r = await run([
      "bash",
      "-c",
      `set -e; c=$(buildah --storage-driver vfs from scratch); buildah --storage-driver vfs copy "$c" '${main}' /cache >/dev/null; buildah --storage-driver vfs commit --rm "$c" oci-archive:'${join(tools, "buildah.tar")}' >/dev/null`,
    ]);
    log(`buildah: ${r.seconds.toFixed(2)} s (exit ${r.code})`);
    rows.push({
      id: "b2-buildah",
      label: "buildah from scratch + copy + commit of the main data set (vfs)",
      runs: r.code === 0 ? [r] : [],
      throughput: true,
      note: r.code === 0 ? "" : `failed: ${r.stderr.slice(-200).replaceAll("\n", " ")}`,
    });
  }
  await rm(tools, { recursive: true, force: true });
  return { rows };
}

const median = (xs) => {
  const v = xs.filter((x) => x != null).sort((a, b) => a - b);
  return v.length === 0 ? null : v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
const f = (x, d = 2) => (x == null ? "–" : x.toFixed(d));

/** PASS/FAIL per issue 17 (and 12's stamp budget) target, on wall time medians (CPU medians alongside). */
export function targets(byId) {
  const t = [];
  const wall = (id) => byId[id]?.seconds?.median ?? null;
  const cpu = (id) => byId[id]?.cpu?.median ?? null;
  const ratio = (a, b) => (wall(a) && wall(b) ? wall(a) / wall(b) : null);
  // A target whose rows were not run (MLPACK_BENCH_BUNDLE2_PARTS) is left out rather than listed as FAIL.
  const add = (name, value, pass, detail) => {
    if (value !== null) t.push({ name, value, pass, detail });
  };
  for (const count of [20_000, 100_000]) {
    const r = ratio(`b2-small-${count}`, `b2-small-${count}-tar`);
    add(
      `bundle ${count / 1000}k small files ≤ 1.0× \`tar | sha256sum\``,
      r,
      r !== null && r <= 1.0,
      `${f(r)}× (${f(wall(`b2-small-${count}`))} s vs ${f(wall(`b2-small-${count}-tar`))} s; CPU ${f(cpu(`b2-small-${count}`))} vs ${f(cpu(`b2-small-${count}-tar`))} s)`,
    );
  }
  // The same comparisons with the work made equal: without compression, and with tar's output deflated too.
  for (const count of [20_000, 100_000]) {
    const rn = ratio(`b2-small-${count}-none`, `b2-small-${count}-tar`);
    add(
      `bundle --compression none, ${count / 1000}k small files ≤ 1.0× \`tar | sha256sum\` (the same work)`,
      rn,
      rn !== null && rn <= 1.0,
      `${f(rn)}× (${f(wall(`b2-small-${count}-none`))} s vs ${f(wall(`b2-small-${count}-tar`))} s; CPU ${f(cpu(`b2-small-${count}-none`))} vs ${f(cpu(`b2-small-${count}-tar`))} s)`,
    );
    const rf = ratio(`b2-small-${count}-none`, `b2-small-${count}-node-floor`);
    if (rf !== null)
      t.push({
        name: `bundle --compression none, ${count / 1000}k small files, against Node's own floor (reported)`,
        value: rf,
        pass: true,
        report: true,
        detail: `${f(rf)}× (${f(wall(`b2-small-${count}-none`))} s vs ${f(wall(`b2-small-${count}-node-floor`))} s)`,
      });
    const rg = ratio(`b2-small-${count}`, `b2-small-${count}-tar-gzip`);
    add(
      `bundle auto, ${count / 1000}k small files ≤ 1.0× \`tar | gzip -1\` with both hashes (the same work)`,
      rg,
      rg !== null && rg <= 1.0,
      `${f(rg)}× (${f(wall(`b2-small-${count}`))} s vs ${f(wall(`b2-small-${count}-tar-gzip`))} s; CPU ${f(cpu(`b2-small-${count}`))} vs ${f(cpu(`b2-small-${count}-tar-gzip`))} s)`,
    );
  }
  const rss100 = byId["b2-small-100000"]?.peakRssMB ?? null;
  const rss20 = byId["b2-small-20000"]?.peakRssMB ?? null;
  add("peak RSS < 200 MB at 100k files", rss100, rss100 !== null && rss100 < 200, `${f(rss100, 0)} MB (20k files: ${f(rss20, 0)} MB)`);
  const ro = ratio("b2-main-auto", "b2-main-tar-openssl");
  add("bundle auto ≤ 1.5× `tar | openssl dgst -sha256`", ro, ro !== null && ro <= 1.5, `${f(ro)}× (${f(wall("b2-main-auto"))} s vs ${f(wall("b2-main-tar-openssl"))} s)`);
  const rw = ratio("b2-main-auto", "b2-main-tar-openssl-write");
  add(
    "bundle auto ≤ 1.5× `tar | openssl` that also writes and fsyncs the bytes (the disk's floor)",
    rw,
    rw !== null && rw <= 1.5,
    `${f(rw)}× (${f(wall("b2-main-auto"))} s vs ${f(wall("b2-main-tar-openssl-write"))} s)`,
  );
  const rn = ratio("b2-main-auto", "b2-main-none");
  add("bundle auto ≤ 1.2× `--compression none`", rn, rn !== null && rn <= 1.2, `${f(rn)}× (${f(wall("b2-main-none"))} s none; CPU ${f(cpu("b2-main-auto"))} vs ${f(cpu("b2-main-none"))} s)`);
  const r42 = ratio("b2-weights-4096", "b2-weights-2048");
  add("4 GiB ≤ 2.1× the 2 GiB time", r42, r42 !== null && r42 <= 2.1, `${f(r42)}× (${f(wall("b2-weights-4096"))} s vs ${f(wall("b2-weights-2048"))} s; 8 GiB ${f(wall("b2-weights-8192"))} s)`);
  const rssIds = Object.keys(byId).filter((id) => /^b2-(main-auto|main-none|small-\d+(-none)?|weights-\d+)$/.test(id));
  const peak = rssIds.length > 0 ? Math.max(...rssIds.map((id) => byId[id]?.peakRssMB ?? 0)) : null;
  add("peak RSS < 200 MB on every bundle row", peak, rssIds.length > 0 && peak < 200, rssIds.map((id) => `${id.slice(3)} ${f(byId[id]?.peakRssMB, 0)}`).join(", "));
  const withS = median(byId["b2-stamp-with"]?.runs.map((r) => r.seconds) ?? []);
  const without = median(byId["b2-stamp-without"]?.runs.map((r) => r.seconds) ?? []);
  const cost = withS && without ? withS / without - 1 : null;
  add("stage-stamp check costs ≤ 5 %", cost, cost !== null && cost <= 0.05, `${f(cost === null ? null : cost * 100, 1)} % (${f(withS)} s vs ${f(without)} s)`);
  return t;
}
