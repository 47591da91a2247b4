import { createHash, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InterruptedError } from "../../src/errors.js";
import type { MlpackEvent } from "../../src/events.js";
import { exportAssets, type ExportOptions, parseManifest } from "../../src/export/index.js";
import { readLock } from "../../src/lock/lock.js";
import { RESULT_SCHEMAS } from "../../src/cli/results/index.js";
import { runCli } from "../support/cli.js";
import { startS3Server, type S3TestServer } from "../support/s3-server.js";
import { stage, stagedProject, standardAssets } from "./project.js";

let s3: S3TestServer;
beforeAll(async () => {
  s3 = await startS3Server(["models"]);
});
afterAll(async () => {
  await s3?.close();
});

const prefixFor = () => `p-${randomBytes(4).toString("hex")}`;

function options(dir: string, lock: ExportOptions["lock"], to: string, extra: Partial<ExportOptions> = {}): ExportOptions {
  return { lock, projectDir: dir, to, prune: false, concurrency: 4, env: {}, version: "0.0.0-test", s3Client: s3.client(), ...extra };
}

async function getText(key: string): Promise<string | undefined> {
  try {
    const out = await s3.client().send(new GetObjectCommand({ Bucket: "models", Key: key }));
    return await out.Body?.transformToString("utf8");
  } catch (error) {
    if ((error as { name?: string }).name === "NoSuchKey") return undefined;
    throw error;
  }
}

async function keys(prefix: string): Promise<string[]> {
  const out = await s3.client().send(new ListObjectsV2Command({ Bucket: "models", Prefix: `${prefix}/` }));
  return (out.Contents ?? []).map((o) => o.Key as string).sort();
}

const sha = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");

describe("export to a real S3 API server (s3rver on 127.0.0.1)", () => {
  it("uploads every file with its sha256 as metadata, and writes the manifest last", async () => {
    const project = await stagedProject();
    const prefix = prefixFor();
    await s3.resetLog();
    const result = await exportAssets(options(project.dir, project.lock, `s3://models/${prefix}`), { emit: () => {} });
    expect(result.written).toEqual({ files: 6, bytes: result.totals.bytes });
    expect(result.skipped.files).toBe(0);
    expect(result.manifestAction).toBe("written");
    expect(result.manifest).toBe(`s3://models/${prefix}/mlpack-assets.json`);
    expect(await keys(prefix)).toEqual(
      [
        "huggingface/hub/models--org--m/blobs/" + "a".repeat(64),
        "huggingface/hub/models--org--m/refs/main",
        "huggingface/hub/models--org--m/snapshots/0123abcd/run.sh",
        "mlpack-assets.json",
        "nltk_data/corpora/stopwords/english",
        "nltk_data/corpora/stopwords/german",
        "nltk_data/tokenizers/punkt/README",
      ].map((k) => `${prefix}/${k}`),
    );
    // The manifest is the last request that writes anything.
    const writes = (await s3.log()).filter((r) => r.method === "PUT");
    expect(writes.at(-1)?.path).toBe(`/models/${prefix}/mlpack-assets.json`);
    const head = await s3.client().send(new HeadObjectCommand({ Bucket: "models", Key: `${prefix}/nltk_data/corpora/stopwords/english` }));
    expect(head.Metadata).toEqual({ sha256: sha("the\na\nan\n"), mode: "644" });
    const manifest = parseManifest((await getText(`${prefix}/mlpack-assets.json`)) as string);
    expect(manifest?.lockDigest).toBe(result.lockDigest);
    expect(manifest?.files).toContainEqual({
      path: "huggingface/hub/models--org--m/snapshots/0123abcd/config.json",
      type: "symlink",
      target: `../../blobs/${"a".repeat(64)}`,
    });
    const run = manifest?.files.find((f) => f.path.endsWith("run.sh"));
    expect(run).toMatchObject({ type: "file", mode: 0o755, sha256: sha("#!/bin/sh\necho hi\n") });
    expect(manifest?.assets.map((a) => a.id)).toEqual(["huggingface", "nltk"]);
  });

  it("re-exports unchanged assets with 0 bytes uploaded and no request beyond one listing and the manifest read", async () => {
    const project = await stagedProject();
    const prefix = prefixFor();
    await exportAssets(options(project.dir, project.lock, `s3://models/${prefix}`), { emit: () => {} });
    await s3.resetLog();
    const again = await exportAssets(options(project.dir, project.lock, `s3://models/${prefix}`), { emit: () => {} });
    expect(again.written).toEqual({ files: 0, bytes: 0 });
    expect(again.skipped.files).toBe(6);
    expect(again.manifestAction).toBe("unchanged");
    expect(again.hashedBytes).toBe(0); // the hash cache vouched for every staged file
    expect((await s3.uploads())).toEqual([]);
    expect((await s3.log()).map((r) => `${r.method} ${r.path}`)).toEqual([
      "GET /models/",
      `GET /models/${prefix}/mlpack-assets.json`,
    ]);
  });

  it("after one staged file changes, uploads only that file (then the manifest)", async () => {
    const project = await stagedProject();
    const prefix = prefixFor();
    await exportAssets(options(project.dir, project.lock, `s3://models/${prefix}`), { emit: () => {} });
    const assets = standardAssets();
    (assets.nltk as { files: Record<string, string> }).files["corpora/stopwords/german"] = "der\ndie\ndas\nund\n";
    const lock = await stage(project.dir, assets);
    await s3.resetLog();
    const result = await exportAssets(options(project.dir, lock, `s3://models/${prefix}`), { emit: () => {} });
    expect(result.written).toEqual({ files: 1, bytes: "der\ndie\ndas\nund\n".length });
    expect((await s3.uploads()).map((r) => r.path)).toEqual([
      `/models/${prefix}/nltk_data/corpora/stopwords/german`,
      `/models/${prefix}/mlpack-assets.json`,
    ]);
    // The old manifest went first, before the changed object: no moment shows new files under the old manifest.
    const order = (await s3.log()).filter((r) => r.method === "DELETE" || r.method === "PUT").map((r) => `${r.method} ${r.path.split("/").pop()}`);
    expect(order).toEqual(["DELETE mlpack-assets.json", "PUT german", "PUT mlpack-assets.json"]);
    expect(await getText(`${prefix}/nltk_data/corpora/stopwords/german`)).toBe("der\ndie\ndas\nund\n");
  });

  it("an interrupted export leaves no manifest, and the next run uploads only what is missing", async () => {
    const project = await stagedProject();
    const prefix = prefixFor();
    await exportAssets(options(project.dir, project.lock, `s3://models/${prefix}`), { emit: () => {} });
    // Every file changes; the export is interrupted after the first upload finished.
    const assets = standardAssets();
    for (const a of Object.values(assets)) {
      for (const [rel, entry] of Object.entries(a.files)) if (typeof entry === "string") a.files[rel] = `${entry} v2`;
    }
    const lock = await stage(project.dir, assets);
    const stop = new AbortController();
    const emit = (e: MlpackEvent) => {
      if (e.type === "progress" && e.id === "export-upload" && e.done > 0) stop.abort();
    };
    const interrupted = exportAssets(options(project.dir, lock, `s3://models/${prefix}`, { concurrency: 1 }), {
      emit,
      signal: stop.signal,
    });
    await expect(interrupted).rejects.toBeInstanceOf(InterruptedError);
    expect(await getText(`${prefix}/mlpack-assets.json`)).toBeUndefined();
    await s3.resetLog();
    const resumed = await exportAssets(options(project.dir, lock, `s3://models/${prefix}`), { emit: () => {} });
    // Without a manifest the same-size objects are checked by HeadObject; the one uploaded before the stop is kept.
    expect(resumed.skipped.files).toBeGreaterThanOrEqual(2); // the unchanged exec file and the uploaded one
    expect(resumed.written.files).toBe(6 - resumed.skipped.files);
    expect((await s3.log()).filter((r) => r.method === "HEAD").length).toBeGreaterThan(0);
    const manifest = parseManifest((await getText(`${prefix}/mlpack-assets.json`)) as string);
    expect(manifest?.lockDigest).toBe(resumed.lockDigest);
  });

  it("sends a large file as a multipart upload whose object carries the whole file's sha256", async () => {
    const big = randomBytes(17 * 1024 * 1024 + 123);
    const project = await stagedProject({
      torch: { library: "torch", target: "torch", env: { TORCH_HOME: "/cache/torch" }, files: { "hub/checkpoints/w.pth": big } },
    });
    const prefix = prefixFor();
    await s3.resetLog();
    const result = await exportAssets(options(project.dir, project.lock, `s3://models/${prefix}`), { emit: () => {} });
    expect(result.written.bytes).toBe(big.length);
    const parts = (await s3.log()).filter((r) => r.method === "PUT" && r.query.includes("partNumber"));
    expect(parts.length).toBe(3); // 8 MiB parts
    expect(parts.reduce((n, r) => n + r.bytes, 0)).toBe(big.length);
    const head = await s3.client().send(new HeadObjectCommand({ Bucket: "models", Key: `${prefix}/torch/hub/checkpoints/w.pth` }));
    expect(head.Metadata?.sha256).toBe(sha(big));
    expect(head.ContentLength).toBe(big.length);
    // Without our manifest (deleted), the re-export proves the object by HeadObject, not by its multipart ETag.
    await s3.client().send(new DeleteObjectCommand({ Bucket: "models", Key: `${prefix}/mlpack-assets.json` }));
    await s3.resetLog();
    const again = await exportAssets(options(project.dir, project.lock, `s3://models/${prefix}`), { emit: () => {} });
    expect(again.written.files).toBe(0);
    expect((await s3.uploads()).map((r) => r.path)).toEqual([`/models/${prefix}/mlpack-assets.json`]);
  });

  it("deletes a large object again when its staged file changed while it was read, and fails", async () => {
    const project = await stagedProject({
      torch: { library: "torch", target: "torch", env: { TORCH_HOME: "/cache/torch" }, files: { "w.pth": randomBytes(9 * 1024 * 1024) } },
    });
    const prefix = prefixFor();
    const emit = (e: MlpackEvent) => {
      // After hashing, before the upload: another process rewrites the staged file in place.
      if (e.type === "progress" && e.id === "export-upload" && e.done === 0) {
        writeFileSync(join(project.dir, ".mlpack/assets/torch/w.pth"), randomBytes(9 * 1024 * 1024));
      }
    };
    await expect(exportAssets(options(project.dir, project.lock, `s3://models/${prefix}`), { emit })).rejects.toMatchObject({
      code: "E_SOURCE_CHANGED",
    });
    expect(await keys(prefix)).toEqual([]);
  });

  it("replaces a same-size object whose sha256 metadata is not ours", async () => {
    const project = await stagedProject();
    const prefix = prefixFor();
    await s3.client().send(
      new PutObjectCommand({ Bucket: "models", Key: `${prefix}/nltk_data/tokenizers/punkt/README`, Body: Buffer.from("PUNKT") }),
    );
    await s3.resetLog();
    await exportAssets(options(project.dir, project.lock, `s3://models/${prefix}`), { emit: () => {} });
    expect(await getText(`${prefix}/nltk_data/tokenizers/punkt/README`)).toBe("punkt");
  });

  it("deletes the previous export's stale files, keeps foreign keys, and deletes those only with --prune", async () => {
    const project = await stagedProject();
    const prefix = prefixFor();
    await exportAssets(options(project.dir, project.lock, `s3://models/${prefix}`), { emit: () => {} });
    await s3.client().send(new PutObjectCommand({ Bucket: "models", Key: `${prefix}/notes.txt`, Body: Buffer.from("mine") }));
    const assets = standardAssets();
    delete (assets.nltk as { files: Record<string, string> }).files["tokenizers/punkt/README"];
    const lock = await stage(project.dir, assets);
    const result = await exportAssets(options(project.dir, lock, `s3://models/${prefix}`), { emit: () => {} });
    expect(result.deleted).toEqual([`${prefix}/nltk_data/tokenizers/punkt/README`]);
    expect(await keys(prefix)).toContain(`${prefix}/notes.txt`);
    const pruned = await exportAssets(options(project.dir, lock, `s3://models/${prefix}`, { prune: true }), { emit: () => {} });
    expect(pruned.deleted).toEqual([`${prefix}/notes.txt`]);
    expect(await keys(prefix)).not.toContain(`${prefix}/notes.txt`);
  });

  it("lists a prefix of more than 1000 keys page by page (ListObjectsV2 continuation)", async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 1005; i++) files[`corpora/many/f${String(i).padStart(4, "0")}`] = `file ${i}`;
    const project = await stagedProject({ nltk: { library: "nltk", target: "nltk_data", env: { NLTK_DATA: "/cache/nltk_data" }, files } });
    const prefix = prefixFor();
    const first = await exportAssets(options(project.dir, project.lock, `s3://models/${prefix}`, { concurrency: 32 }), { emit: () => {} });
    expect(first.written.files).toBe(1005);
    await s3.resetLog();
    const again = await exportAssets(options(project.dir, project.lock, `s3://models/${prefix}`), { emit: () => {} });
    expect(again.written.files).toBe(0);
    expect((await s3.log()).filter((r) => r.query.includes("list-type=2")).length).toBe(2);
  });

  it("refuses a staged tree that no longer matches the lock before any request", async () => {
    const project = await stagedProject();
    await writeFile(join(project.dir, ".mlpack/assets/nltk/corpora/stopwords/english"), "THE\nA\nAN\n");
    await s3.resetLog();
    await expect(
      exportAssets(options(project.dir, project.lock, `s3://models/${prefixFor()}`), { emit: () => {} }),
    ).rejects.toMatchObject({ code: "E_ASSET_STALE", message: expect.stringMatching(/nltk does not match mlpack\.lock\.json: its content digest/) });
    expect((await s3.log())).toEqual([]);
  });
});

describe("mlpack export --to s3:// (CLI against s3rver)", () => {
  it("prints the manifest URL, and --json validates against the export schema", async () => {
    const project = await stagedProject();
    const prefix = prefixFor();
    const args = ["export", "--to", `s3://models/${prefix}`, "--endpoint", s3.endpoint];
    const first = await runCli(args, { cwd: project.dir, env: s3.env });
    expect(first.stderr).not.toMatch(/error/);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(`s3://models/${prefix}/mlpack-assets.json\n`);
    const again = await runCli([...args, "--json"], { cwd: project.dir, env: s3.env });
    const doc = JSON.parse(again.stdout);
    expect(RESULT_SCHEMAS.export.document.parse(doc)).toBeTruthy();
    expect(doc).toMatchObject({
      ok: true,
      destination: { kind: "s3", bucket: "models", prefix, endpoint: s3.endpoint },
      written: { files: 0, bytes: 0 },
      manifestAction: "unchanged",
    });
    const state = JSON.parse(await readFile(join(project.dir, ".mlpack/state.json"), "utf8"));
    expect(state.export).toEqual({ kind: "s3", bucket: "models", prefix, lockDigest: doc.lockDigest });
    expect((await readLock(join(project.dir, "mlpack.lock.json"))).assets.length).toBe(2);
  });

  it("exits 5 with the S3 error code and a hint: no such bucket, bad credentials, unreachable endpoint", async () => {
    const project = await stagedProject();
    const noBucket = await runCli(["export", "--to", "s3://no-such-bucket/x", "--endpoint", s3.endpoint, "--json"], {
      cwd: project.dir,
      env: s3.env,
    });
    expect(noBucket.code).toBe(5);
    expect(JSON.parse(noBucket.stdout).error).toMatchObject({
      code: "E_S3_NO_BUCKET",
      message: expect.stringContaining("NoSuchBucket"),
      hint: expect.stringContaining("aws s3 mb"),
    });
    const denied = await runCli(["export", "--to", "s3://models/x", "--endpoint", s3.endpoint], {
      cwd: project.dir,
      env: { ...s3.env, AWS_ACCESS_KEY_ID: "NOT-S3RVER" },
    });
    expect(denied.code).toBe(5);
    expect(denied.stderr).toMatch(/error: S3 denied s3:ListBucket on s3:\/\/models\/x\/ \(InvalidAccessKeyId\)/);
    expect(denied.stderr).toMatch(/hint: Check the credentials/);
    const down = await runCli(["export", "--to", "s3://models/x", "--endpoint", "http://127.0.0.1:9"], {
      cwd: project.dir,
      env: s3.env,
    });
    expect(down.code).toBe(5);
    expect(down.stderr).toMatch(/S3 endpoint unreachable .*ECONNREFUSED/);
  });

  it("refuses bad --to, --endpoint and --prune on a whole bucket with exit 2", async () => {
    const project = await stagedProject();
    const cases: [string[], RegExp][] = [
      [["--to", "gs://x/y"], /only s3:\/\/ URLs and folders/],
      [["--to", "s3://Bad_Bucket/x"], /not a valid S3 bucket name/],
      [["--to", "s3://models/a/../b"], /empty, "\." or "\.\." part/],
      [["--to", "s3://models/x", "--endpoint", "http://10.1.2.3:9000"], /plain http is only allowed on loopback/],
      [["--to", "s3://models", "--prune", "--endpoint", s3.endpoint], /--prune on the whole bucket/],
      [[], /export needs --to/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(["export", ...args], { cwd: project.dir, env: s3.env });
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr, args.join(" ")).toMatch(message);
    }
  });
});
