// The benchmark scenarios. Each returns rows: { id, label, runs: [{ seconds, maxRssMB, ... }], note? }.
import { cpSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PROJECT, stageProject } from "./data.mjs";
import { BENCH_DIR, DATA_DIR, dropCaches, MLPACK, mustRun, run, sh, warm } from "./measure.mjs";
import { forgetRepos, freshRepo, manifestLayers, REGISTRY, rememberBlobs } from "./registry.mjs";

export const RUNS = Number(process.env.MLPACK_BENCH_RUNS ?? 3);
const ASSETS = join(PROJECT, ".mlpack", "assets");
const MANUAL = join(DATA_DIR, "manual"); // build context of the manual route: Dockerfile + assets.tar
const MANUAL_IMAGE = "mlpack-bench/manual:latest";
const BUSYBOX = process.env.MLPACK_TEST_BUSYBOX_IMAGE ?? "mlpack-test/busybox:latest";
const mlpack = (...args) => [MLPACK, "-C", PROJECT, "--json", "--no-progress", ...args];
const log = (m) => process.stderr.write(`[bench] ${m}\n`);

async function times(n, label, before, fn) {
  const runs = [];
  for (let i = 0; i < n; i++) {
    if (before) await before(i);
    const r = await fn(i);
    log(
      `${label} #${i + 1}: ${r.seconds.toFixed(2)} s${r.maxRssMB ? `, ${r.maxRssMB.toFixed(0)} MB RSS` : ""}`,
    );
    runs.push(r);
  }
  return runs;
}

async function bundle(compression, layout) {
  const r = await mustRun(
    mlpack("bundle", "--compression", compression, ...(layout ? ["--layout", layout] : [])),
  );
  const j = JSON.parse(r.stdout);
  const size = j.layers.reduce((s, l) => s + l.size, 0);
  return {
    seconds: r.seconds,
    maxRssMB: r.maxRssMB,
    cpuSeconds: r.cpuSeconds,
    digest: j.digest,
    blobBytes: size,
    layers: j.layers.map((l) => ({ digest: l.digest, size: l.size, mediaType: l.mediaType, title: l.title })),
  };
}

async function push(repo) {
  const r = await mustRun(mlpack("push", "--registry", REGISTRY, "--repository", repo));
  const j = JSON.parse(r.stdout);
  rememberBlobs(j.blobs);
  return {
    seconds: r.seconds,
    maxRssMB: r.maxRssMB,
    repo,
    uploadedBytes: j.uploadedBytes,
    skippedBytes: j.skippedBytes,
    blobs: j.blobs,
    manifestAction: j.manifestAction,
    digest: j.digest,
  };
}

const rmDefaultLayout = () => rm(join(PROJECT, ".mlpack", "oci"), { recursive: true, force: true });

/** 1. bundle vs `tar | sha256sum` vs tar + docker build (warm page cache), plus cold-cache and compression rows. */
export async function scenarioBundle() {
  const rows = [];
  await warm(ASSETS);
  for (const c of ["none", "stored", "gzip"]) {
    const layout = join(PROJECT, ".mlpack", `oci-${c}`);
    const runs = await times(
      RUNS,
      `bundle ${c}`,
      () => rm(layout, { recursive: true, force: true }),
      () => bundle(c, layout),
    );
    await rm(layout, { recursive: true, force: true });
    rows.push({ id: `bundle-${c}`, label: `mlpack bundle --compression ${c}`, runs });
  }
  const tarSha = () => mustRun(["bash", "-c", `tar -cf - -C '${ASSETS}' . | sha256sum`]);
  rows.push({
    id: "tar-sha256",
    label: "tar -cf - assets | sha256sum (baseline)",
    runs: await times(RUNS, "tar|sha256sum", null, tarSha),
  });
  // Cold page cache: sync + drop_caches before each run (root only).
  const canDrop = await dropCaches();
  if (canDrop) {
    rows.push({
      id: "bundle-auto-cold",
      label: "mlpack bundle --compression auto (cold cache)",
      runs: await times(
        RUNS,
        "bundle auto cold",
        async () => {
          await rmDefaultLayout();
          await dropCaches();
        },
        () => bundle("auto"),
      ),
    });
    rows.push({
      id: "tar-sha256-cold",
      label: "tar | sha256sum (cold cache)",
      runs: await times(RUNS, "tar|sha256sum cold", () => dropCaches(), tarSha),
    });
    await warm(ASSETS);
  }
  // The default, measured last so .mlpack/oci holds the auto image that scenario 2 pushes.
  rows.push({
    id: "bundle-auto",
    label: "mlpack bundle (auto, default)",
    runs: await times(RUNS, "bundle auto", rmDefaultLayout, () => bundle("auto")),
  });

  // Manual route: tar the staged caches, `FROM scratch` + `ADD assets.tar /cache/`, legacy builder, no cache.
  await mkdir(MANUAL, { recursive: true });
  await writeFile(join(MANUAL, "Dockerfile"), "FROM scratch\nADD assets.tar /cache/\n");
  const tarRuns = [];
  const buildRuns = [];
  for (let i = 0; i < RUNS; i++) {
    await run(["docker", "rmi", "-f", MANUAL_IMAGE]);
    await rm(join(MANUAL, "assets.tar"), { force: true });
    const t = await mustRun(["tar", "-cf", join(MANUAL, "assets.tar"), "-C", ASSETS, "."]);
    const b = await mustRun(
      [
        "docker",
        "build",
        "-q",
        "--no-cache",
        "--force-rm",
        "--label",
        "mlpack-bench=1",
        "-t",
        MANUAL_IMAGE,
        MANUAL,
      ],
      { env: { ...process.env, DOCKER_BUILDKIT: "0" } },
    );
    log(`tar -cf: ${t.seconds.toFixed(2)} s; docker build: ${b.seconds.toFixed(2)} s`);
    tarRuns.push(t);
    buildRuns.push(b);
  }
  await rm(join(MANUAL, "assets.tar"), { force: true });
  rows.push({
    id: "manual-build",
    label: "tar -cf + docker build (ADD, legacy builder)",
    runs: tarRuns.map((t, i) => ({
      seconds: t.seconds + buildRuns[i].seconds,
      tarSeconds: t.seconds,
      buildSeconds: buildRuns[i].seconds,
    })),
  });
  rows.push({ id: "manual-tar", label: "  of which tar -cf", runs: tarRuns, detail: true });
  rows.push({ id: "manual-docker-build", label: "  of which docker build", runs: buildRuns, detail: true });
  return {
    rows,
    pageCache: canDrop
      ? "warm (cold rows: sync + drop_caches before each run)"
      : "warm (drop_caches not permitted)",
  };
}

/** 2. mlpack push vs docker push, each to a fresh repository per run. */
export async function scenarioPush() {
  const rows = [];
  const mp = await times(RUNS, "mlpack push", null, () => push(freshRepo("push")));
  rows.push({ id: "push-auto", label: "mlpack push (fresh repo)", runs: mp });
  const dp = await times(
    RUNS,
    "docker push",
    () => forgetRepos("dpush-"),
    async () => {
      const repo = freshRepo("dpush");
      const ref = `${REGISTRY}/${repo}:latest`;
      await mustRun(["docker", "tag", MANUAL_IMAGE, ref]);
      const r = await mustRun(["docker", "push", ref]);
      await run(["docker", "rmi", ref]);
      const layers = await manifestLayers(repo, "latest");
      rememberBlobs(layers);
      return {
        seconds: r.seconds,
        maxRssMB: r.maxRssMB,
        repo,
        mounted: /Mounted from/.test(r.stdout),
        uploadedBytes: layers.reduce((s, l) => s + l.size, 0),
      };
    },
  );
  rows.push({
    id: "docker-push",
    label: "docker push of the manual image (fresh repo)",
    runs: dp,
    note: dp.some((r) => r.mounted)
      ? "WARNING: Docker cross-mounted a layer"
      : "no cross-repo mount (checked)",
  });
  return { rows, lastRepo: mp[mp.length - 1].repo };
}

/** 3. Re-push unchanged (0 bytes expected); change one small file, discover + bundle, push (only that layer). */
export async function scenarioRepush(repo) {
  const rows = [];
  // Alternating with `mlpack --version` (Node start-up + our module loading), so the difference is what the
  // no-op push itself costs; both are sub-second, so at least 5 runs each.
  const same = [];
  const version = [];
  for (let i = 0; i < Math.max(RUNS, 5); i++) {
    same.push(...(await times(1, "re-push unchanged", null, () => push(repo))));
    version.push(...(await times(1, "mlpack --version", null, () => mustRun([MLPACK, "--version"]))));
  }
  rows.push({ id: "repush-unchanged", label: "mlpack push, unchanged image, same repo", runs: same });
  rows.push({ id: "mlpack-version", label: "mlpack --version (Node start-up + module loading)", runs: version });
  const changed = [];
  const discoverRuns = [];
  for (let i = 0; i < RUNS; i++) {
    const variant = 2 + i;
    const before = await bundleLayers();
    const d = await stageProject(variant);
    discoverRuns.push(d);
    await rmDefaultLayout();
    const b = await bundle("auto");
    const newLayers = b.layers.filter((l) => !before.has(l.digest));
    const p = await push(repo);
    const uploaded = p.blobs.filter((x) => x.action === "uploaded");
    const uploadedLayers = uploaded.filter((x) => b.layers.some((l) => l.digest === x.digest));
    log(
      `changed small repo -> v${variant}: discover ${d.seconds.toFixed(1)} s, bundle ${b.seconds.toFixed(1)} s, push ${p.seconds.toFixed(2)} s, uploaded ${p.uploadedBytes} B (${uploadedLayers.length} layer(s) + ${uploaded.length - uploadedLayers.length} config)`,
    );
    changed.push({
      ...p,
      changedLayers: newLayers.map((l) => `${l.title} (${l.size} B)`),
      uploadedLayerCount: uploadedLayers.length,
      uploadedLayerBytes: uploadedLayers.reduce((s, l) => s + l.size, 0),
      onlyChangedLayer:
        newLayers.length === 1 &&
        uploadedLayers.length === 1 &&
        uploadedLayers[0].digest === newLayers[0].digest,
      bundleSeconds: b.seconds,
    });
  }
  rows.push({ id: "push-one-changed", label: "mlpack push after one small asset changed", runs: changed });
  rows.push({
    id: "discover-2g",
    label: "(info) discover --runner local of the whole data set",
    runs: discoverRuns,
    detail: true,
  });
  return { rows };
}

/** Layer digests of the image currently in .mlpack/oci. */
async function bundleLayers() {
  const oci = join(PROJECT, ".mlpack", "oci");
  const index = JSON.parse(await readFile(join(oci, "index.json"), "utf8"));
  const m = JSON.parse(
    await readFile(join(oci, "blobs", "sha256", index.manifests[0].digest.slice(7)), "utf8"),
  );
  return new Set(m.layers.map((l) => l.digest));
}

/** 4. discover's overhead over a plain `docker run` (and `--runner local` over plain `sh`) of the same command. */
export async function scenarioDiscover() {
  const dir = join(DATA_DIR, "discover-small");
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  cpSync(join(BENCH_DIR, "gen-small-cache.sh"), join(dir, "gen.sh"));
  const disc = (...a) =>
    mustRun([MLPACK, "-C", dir, "--json", "--no-progress", "discover", ...a, "--", "sh", "gen.sh"]);
  const rows = [];
  rows.push({
    id: "discover-docker",
    label: "mlpack discover --image busybox --network none",
    runs: await times(RUNS, "discover docker", null, () => disc("--image", BUSYBOX, "--network", "none")),
  });
  rows.push({
    id: "docker-run",
    label: "docker run --rm --network none busybox sh gen.sh",
    runs: await times(RUNS, "docker run", null, () =>
      mustRun([
        "docker",
        "run",
        "--rm",
        "--network",
        "none",
        "--label",
        "mlpack-bench=1",
        "-v",
        `${dir}:/var/task:ro`,
        "-w",
        "/var/task",
        BUSYBOX,
        "sh",
        "gen.sh",
      ]),
    ),
  });
  rows.push({
    id: "discover-local",
    label: "mlpack discover --runner local",
    runs: await times(RUNS, "discover local", null, () => disc("--runner", "local")),
  });
  rows.push({
    id: "sh-local",
    label: "sh gen.sh (HOME=fresh temp dir)",
    runs: await times(RUNS, "sh", null, () =>
      sh(`h=$(mktemp -d) && HOME=$h sh '${join(dir, "gen.sh")}' && rm -rf "$h"`),
    ),
  });
  return { rows };
}

export async function cleanUpDocker() {
  await run(["docker", "rmi", "-f", MANUAL_IMAGE]);
  const ids = (await run(["docker", "ps", "-aq", "--filter", "label=mlpack-bench=1"])).stdout
    .split(/\s+/)
    .filter(Boolean);
  if (ids.length) await run(["docker", "rm", "-f", ...ids]);
  const imgs = (await run(["docker", "images", "-q", "--filter", "label=mlpack-bench=1"])).stdout
    .split(/\s+/)
    .filter(Boolean);
  if (imgs.length) await run(["docker", "rmi", "-f", ...new Set(imgs)]);
  return { containers: ids.length, images: imgs.length };
}
