import { randomBytes } from "node:crypto";
import { chmod, mkdir, readlink, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { execa } from "execa";
import { afterAll, beforeAll, expect, it } from "vitest";
import { exportAssets } from "../../src/export/index.js";
import { noopEmit } from "../../src/events.js";
import { TEST_LABEL_KEY } from "../support/docker.js";
import { testEnv } from "../support/env.js";
import { useTempProject } from "../support/project.js";
import { describeReal } from "../support/real.js";
import { S3_TEST_CREDENTIALS, startS3Server, type S3TestServer } from "../support/s3-server.js";
import { stagedProject, standardAssets } from "./project.js";

/**
 * The S3 loader (templates/loader/mlpack_assets.py) on the python test base's own boto3 (Debian's), against
 * s3rver: what it downloads, what a warm /tmp saves, and how it fails. It runs as uid 993 with a read-only root,
 * like Lambda; its /tmp is a host folder here so the test can look at what it left.
 */
const LOADER_DIR = fileURLToPath(new URL("../../templates/loader", import.meta.url));
const LABEL = `${TEST_LABEL_KEY}=export-loader`;

await describeReal(["docker", "pythonImage"], "the S3 loader module against s3rver", () => {
  let s3: S3TestServer;
  beforeAll(async () => {
    s3 = await startS3Server(["models"]);
  });
  afterAll(async () => {
    await s3?.close();
  });

  /** Exports the standard assets under a fresh prefix; returns it. */
  async function exported(): Promise<string> {
    const project = await stagedProject();
    const prefix = `l-${randomBytes(4).toString("hex")}`;
    await exportAssets(
      { lock: project.lock, projectDir: project.dir, to: `s3://models/${prefix}`, prune: false, concurrency: 4, env: {}, version: "0.0.0-test", s3Client: s3.client() },
      { emit: noopEmit },
    );
    return prefix;
  }

  /** `import mlpack_assets` in the python base; prints its stats and the variables it set. */
  async function load(prefix: string, tmp: string, extra: string[] = []) {
    const script = [
      "import json, os, sys",
      "sys.path.insert(0, '/loader')",
      "import mlpack_assets",
      "print(json.dumps({'stats': mlpack_assets.stats, 'NLTK_DATA': os.environ['NLTK_DATA'], 'HF_HUB_CACHE': os.environ['HF_HUB_CACHE']}))",
    ].join("\n");
    return execa(
      "docker",
      [
        "run", "--rm", "--label", LABEL, "--network", "host", "--read-only", "--user", "993:993",
        "-v", `${LOADER_DIR}:/loader:ro`, "-v", `${tmp}:/tmp`,
        "-e", `AWS_ENDPOINT_URL_S3=${s3.endpoint}`, "-e", `AWS_ACCESS_KEY_ID=${S3_TEST_CREDENTIALS.accessKeyId}`,
        "-e", `AWS_SECRET_ACCESS_KEY=${S3_TEST_CREDENTIALS.secretAccessKey}`, "-e", "AWS_DEFAULT_REGION=us-east-1",
        "-e", "MLPACK_ASSETS_BUCKET=models", "-e", `MLPACK_ASSETS_PREFIX=${prefix}`,
        "-e", "NLTK_DATA=/cache/nltk_data", "-e", "HF_HUB_CACHE=/cache/huggingface/hub",
        ...extra, testEnv().pythonImage, "python3", "-c", script,
      ],
      { reject: false },
    );
  }

  async function tmpDir(): Promise<string> {
    const p = await useTempProject();
    const tmp = join(p.dir, "tmp");
    await mkdir(tmp);
    await chmod(tmp, 0o1777);
    return tmp;
  }

  it("downloads every file, checks it, makes the snapshot links and points the variables at /tmp; a warm /tmp downloads nothing", async () => {
    const prefix = await exported();
    const tmp = await tmpDir();
    await s3.resetLog();
    const first = await load(prefix, tmp);
    expect(first.exitCode, first.stderr).toBe(0);
    const out = JSON.parse(first.stdout);
    // Regular files only: the snapshot link is made, not downloaded.
    let bytes = 0;
    for (const asset of Object.values(standardAssets())) {
      for (const f of Object.values(asset.files)) {
        if (typeof f === "string") bytes += Buffer.byteLength(f);
        else if (!Buffer.isBuffer(f) && "exec" in f) bytes += Buffer.byteLength(f.exec);
      }
    }
    expect(out).toMatchObject({
      NLTK_DATA: "/tmp/mlpack-assets/nltk_data",
      HF_HUB_CACHE: "/tmp/mlpack-assets/huggingface/hub",
      stats: { files: 6, downloaded_bytes: bytes, reused_bytes: 0, root: "/tmp/mlpack-assets" },
    });
    expect(first.stderr).toMatch(new RegExp(`mlpack_assets: 6 files from s3://models/${prefix}/ in /tmp/mlpack-assets`));
    const root = join(tmp, "mlpack-assets");
    expect(await readFile(join(root, "nltk_data/corpora/stopwords/english"), "utf8")).toBe("the\na\nan\n");
    expect(await readlink(join(root, "huggingface/hub/models--org--m/snapshots/0123abcd/config.json"))).toBe(`../../blobs/${"a".repeat(64)}`);
    const gets = (await s3.log()).filter((r) => r.method === "GET");
    expect(gets.filter((r) => !r.path.endsWith("/mlpack-assets.json"))).toHaveLength(6);

    // A warm start (same /tmp): only the manifest is read.
    await s3.resetLog();
    const warm = await load(prefix, tmp);
    expect(warm.exitCode, warm.stderr).toBe(0);
    expect(JSON.parse(warm.stdout).stats).toMatchObject({ downloaded_bytes: 0, reused_bytes: bytes });
    const warmGets = (await s3.log()).filter((r) => r.method === "GET");
    expect(warmGets.map((r) => r.path.split("/").pop())).toEqual(["mlpack-assets.json"]);
  }, 120_000);

  it("fails clearly: no manifest (an interrupted or missing export), a damaged object, a /tmp too small", async () => {
    const tmp = await tmpDir();
    const missing = await load(`nothing-${randomBytes(3).toString("hex")}`, tmp);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toMatch(/MlpackAssetsError: mlpack_assets: no complete export at s3:\/\/models\/nothing-\w+\/ \(mlpack-assets\.json is missing\)/);

    const prefix = await exported();
    await s3.client().send(
      new PutObjectCommand({ Bucket: "models", Key: `${prefix}/nltk_data/corpora/stopwords/english`, Body: "THE\nA\nAN\n" }),
    );
    const damaged = await load(prefix, await tmpDir());
    expect(damaged.exitCode).toBe(1);
    expect(damaged.stderr).toContain(`nltk_data/corpora/stopwords/english does not match the manifest's sha256`);

    // 1 MiB of /tmp for an export with a 2 MiB file.
    const big = await stagedProject({
      nltk: { library: "nltk", target: "nltk_data", env: { NLTK_DATA: "/cache/nltk_data" }, files: { "corpora/big": randomBytes(2 * 1024 * 1024) } },
      huggingface: standardAssets().huggingface!,
    });
    const bigPrefix = `big-${randomBytes(4).toString("hex")}`;
    await exportAssets(
      { lock: big.lock, projectDir: big.dir, to: `s3://models/${bigPrefix}`, prune: false, concurrency: 4, env: {}, version: "0.0.0-test", s3Client: s3.client() },
      { emit: noopEmit },
    );
    const tiny = await loadTmpfs(bigPrefix);
    expect(tiny.exitCode).toBe(1);
    expect(tiny.stderr).toMatch(/mlpack_assets: \/tmp\/mlpack-assets has .* free but the export at s3:\/\/models\/big-\w+\/ needs .* raise the function's ephemeral storage/);
  }, 120_000);

  /** The loader with a 1 MiB tmpfs /tmp, as `verify --tmp-size 1` gives it. */
  function loadTmpfs(prefix: string) {
    return execa(
      "docker",
      [
        "run", "--rm", "--label", LABEL, "--network", "host", "--read-only", "--user", "993:993",
        "--tmpfs", "/tmp:rw,size=1m,mode=1777", "-v", `${LOADER_DIR}:/loader:ro`,
        "-e", `AWS_ENDPOINT_URL_S3=${s3.endpoint}`, "-e", `AWS_ACCESS_KEY_ID=${S3_TEST_CREDENTIALS.accessKeyId}`,
        "-e", `AWS_SECRET_ACCESS_KEY=${S3_TEST_CREDENTIALS.secretAccessKey}`, "-e", "AWS_DEFAULT_REGION=us-east-1",
        "-e", "MLPACK_ASSETS_BUCKET=models", "-e", `MLPACK_ASSETS_PREFIX=${prefix}`,
        testEnv().pythonImage, "python3", "-c", "import sys; sys.path.insert(0, '/loader'); import mlpack_assets",
      ],
      { reject: false },
    );
  }
});
