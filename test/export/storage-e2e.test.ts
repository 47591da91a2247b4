import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, expect, it } from "vitest";
import { RESULT_SCHEMAS } from "../../src/cli/results/index.js";
import { runCli } from "../support/cli.js";
import { removeByLabel, TEST_LABEL_KEY } from "../support/docker.js";
import { testEnv } from "../support/env.js";
import { describeReal } from "../support/real.js";
import { startS3Server, type S3TestServer } from "../support/s3-server.js";
import { stagedProject } from "./project.js";

/**
 * The seeds' two other architectures end to end through the built CLI on the real engine and the python test
 * base (python3 + boto3): export → dockerfile --storage → docker build → verify. The handler module reads the
 * assets at import through the variables the Dockerfile (EFS) or the loader (S3) set, so verify passes only
 * when the files really are where the ENV points.
 */
const LABEL = `${TEST_LABEL_KEY}=export-storage-${randomBytes(3).toString("hex")}`;
const tag = (kind: string) => `mlpack-test/export-${kind}:${randomBytes(4).toString("hex")}`;

/** Reads one file of each asset at import; prints where it found them. */
function appSource(loader: boolean): string {
  return [
    ...(loader ? ["import mlpack_assets  # first: downloads the export and sets the variables"] : []),
    "import os",
    'stop = open(os.path.join(os.environ["NLTK_DATA"], "corpora/stopwords/english")).read()',
    'assert stop == "the\\na\\nan\\n", repr(stop)',
    'cfg = os.path.join(os.environ["HF_HUB_CACHE"], "models--org--m/snapshots/0123abcd/config.json")',
    'assert open(cfg).read() == \'{"model_type": "bert"}\', cfg',
    'print("app: assets at", os.environ["NLTK_DATA"], flush=True)',
    // Under verify --s3-endpoint the network is sealed once the loader is done: the app must run offline.
    ...(loader
      ? [
          "import socket",
          "try:",
          '    socket.create_connection(("127.0.0.1", 9), timeout=1)',
          "except OSError as e:",
          '    print("app: network after loading:", e, flush=True)',
        ]
      : []),
    "def handler(event, context):",
    "    return stop",
    "",
  ].join("\n");
}

async function build(dir: string, ref: string): Promise<void> {
  const built = await execa("docker", ["build", "-q", "--label", LABEL, "-t", ref, dir], {
    env: { DOCKER_BUILDKIT: "0" },
    reject: false,
  });
  expect(built.exitCode, built.stderr).toBe(0);
}

await describeReal(["docker", "pythonImage"], "export + dockerfile --storage + verify on the real engine", () => {
  const python = testEnv().pythonImage;
  let s3: S3TestServer;
  beforeAll(async () => {
    s3 = await startS3Server(["models"]);
  });
  afterAll(async () => {
    await s3?.close();
    await removeByLabel(LABEL);
  });

  it("EFS: export --to DIR, dockerfile --storage efs, verify --mount DIR:/mnt/models loads them read-only", async () => {
    const project = await stagedProject();
    const efs = join(project.dir, "efs");
    await writeFile(join(project.dir, "app.py"), appSource(false));

    const exported = await runCli(["export", "--to", efs], { cwd: project.dir });
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toBe(`${join(efs, "mlpack-assets.json")}\n`);

    const df = await runCli(
      ["dockerfile", "--storage", "efs", "--mount", "/mnt/models", "--base", python, "--handler", "app.handler", "-o", "Dockerfile", "--json"],
      { cwd: project.dir },
    );
    expect(df.code, df.stderr).toBe(0);
    const doc = JSON.parse(df.stdout);
    expect(RESULT_SCHEMAS.dockerfile.document.parse(doc)).toBeTruthy();
    expect(doc).toMatchObject({
      assetImage: null,
      copies: [],
      assetRoot: "/mnt/models",
      storage: { kind: "efs", root: "/mnt/models", bucket: null, prefix: null },
      env: { NLTK_DATA: "/mnt/models/nltk_data", HF_HUB_CACHE: "/mnt/models/huggingface/hub", HF_HUB_OFFLINE: "1" },
    });
    const text = await readFile(join(project.dir, "Dockerfile"), "utf8");
    expect(text).toBe(doc.dockerfile);
    expect(text).not.toMatch(/--from=|AS mlpack-assets/);
    expect(text).toMatch(/^LABEL .*dev\.mlpack\.asset-root=\/mnt\/models dev\.mlpack\.storage=efs$/m);
    expect(text).not.toContain("Assets first");
    expect(text).toContain("uid/gid 1001");
    expect(text).toContain("LocalMountPath: /mnt/models");

    const ref = tag("efs");
    await build(project.dir, ref);

    const ok = await runCli(["verify", ref, "--mount", `${efs}:/mnt/models`, "--json"], { cwd: project.dir, timeoutMs: 120_000 });
    expect(ok.code, ok.stderr + ok.stdout).toBe(0);
    const v = JSON.parse(ok.stdout);
    expect(v).toMatchObject({ ok: true, network: "none", storage: `EFS export ${efs} at /mnt/models (read-only)` });
    expect(v.outputTail).toContain("app: assets at /mnt/models/nltk_data");

    // Without the mount the image cannot find its assets: refused up front, naming the flag.
    const none = await runCli(["verify", ref], { cwd: project.dir });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(`--mount DIR:/mnt/models`);

    // An empty folder mounted: the run fails and the finding says the export is missing, not a COPY line.
    const empty = join(project.dir, "empty");
    await mkdir(empty);
    const bad = await runCli(["verify", ref, "--mount", `${empty}:/mnt/models`, "--json"], { cwd: project.dir, timeoutMs: 120_000 });
    expect(bad.code).toBe(1);
    const err = JSON.parse(bad.stdout);
    expect(err.error.code).toBe("E_VERIFY_FAILED");
    expect(err.error.message).toContain("/mnt/models/nltk_data is not in the mounted export");
    expect(bad.stderr).toContain(`${empty} has no mlpack-assets.json`);

    // The mount must be where the image reads its assets.
    const elsewhere = await runCli(["verify", ref, "--mount", `${efs}:/mnt/other`], { cwd: project.dir });
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.stderr).toContain("the image reads its assets at /mnt/models");
  }, 240_000);

  it("S3: export --to s3://, dockerfile --storage s3, verify --s3-endpoint: the loader fills /tmp and the app loads offline", async () => {
    const project = await stagedProject();
    const prefix = `e2e-${randomBytes(4).toString("hex")}`;
    await writeFile(join(project.dir, "app.py"), appSource(true));

    const exported = await runCli(["export", "--to", `s3://models/${prefix}`, "--endpoint", s3.endpoint], {
      cwd: project.dir,
      env: s3.env,
    });
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toBe(`s3://models/${prefix}/mlpack-assets.json\n`);

    // --bucket/--prefix given explicitly here; their defaults from the last export are tested in test/dockerfile.
    const df = await runCli(
      ["dockerfile", "--storage", "s3", "--bucket", "models", "--prefix", prefix, "--base", python, "--handler", "app.handler", "-o", "Dockerfile", "--json"],
      { cwd: project.dir },
    );
    expect(df.code, df.stderr).toBe(0);
    const doc = JSON.parse(df.stdout);
    expect(doc).toMatchObject({
      assetImage: null,
      copies: [],
      storage: { kind: "s3", root: "/tmp/mlpack-assets", bucket: "models", prefix },
      env: { NLTK_DATA: "/tmp/mlpack-assets/nltk_data", MLPACK_ASSETS_BUCKET: "models", MLPACK_ASSETS_PREFIX: prefix },
    });
    const text = doc.dockerfile as string;
    expect(text).not.toMatch(/--from=|AS mlpack-assets/);
    expect(text).toContain("RUN mkdir -p /var/task && printf '%s\\n' \\");
    expect(text).toContain("> /var/task/mlpack_assets.py && chmod 0644 /var/task/mlpack_assets.py");
    expect(text).toMatch(/dev\.mlpack\.storage=s3$/m);

    const ref = tag("s3");
    await build(project.dir, ref);
    await s3.resetLog();

    const ok = await runCli(["verify", ref, "--s3-endpoint", s3.endpoint, "--json"], {
      cwd: project.dir,
      env: s3.env,
      timeoutMs: 120_000,
    });
    expect(ok.code, ok.stderr + ok.stdout).toBe(0);
    const v = JSON.parse(ok.stdout);
    expect(v).toMatchObject({ ok: true, network: "host", user: "993:993", tmpSizeMb: 512 });
    expect(v.storage).toContain(`S3 endpoint ${s3.endpoint}`);
    expect(v.outputTail).toMatch(/mlpack_assets: \d+ files from s3:\/\/models\//);
    expect(v.outputTail).toContain("app: assets at /tmp/mlpack-assets/nltk_data");
    expect(v.outputTail).toContain("app: network after loading: [Errno 101] mlpack verify: network use after the assets were loaded");
    // The loader really read the export from the server (the manifest, then the files).
    const gets = (await s3.log()).filter((r) => r.method === "GET" && r.path.includes(prefix));
    expect(gets.some((r) => r.path.endsWith("/mlpack-assets.json"))).toBe(true);
    expect(gets.some((r) => r.path.endsWith("/corpora/stopwords/english"))).toBe(true);

    const none = await runCli(["verify", ref], { cwd: project.dir, env: s3.env });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("--s3-endpoint");

    const remote = await runCli(["verify", ref, "--s3-endpoint", "https://s3.amazonaws.com"], { cwd: project.dir, env: s3.env });
    expect(remote.code).toBe(2);
    expect(remote.stderr).toContain("must be on loopback");
  }, 240_000);
});
