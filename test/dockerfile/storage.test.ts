import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { type DockerfileOptions, generateDockerfile } from "../../src/dockerfile/dockerfile.js";
import { loadLoaderSource, writeFileInstruction } from "../../src/dockerfile/storage.js";
import { type MlpackError, UsageError } from "../../src/errors.js";
import { noopEmit } from "../../src/events.js";
import { lockDigest } from "../../src/lock/lock-digest.js";
import { type State, updateState } from "../../src/state/state.js";
import { useTempProject } from "../support/project.js";
import { nltkGensimTorch, writableHome } from "./locks.js";

async function project(state: State = {}) {
  const p = await useTempProject({ "app.py": "def handler(e, c): pass\n" });
  if (Object.keys(state).length > 0) await updateState(p.dir, state);
  return p;
}

function opts(dir: string, extra: Partial<DockerfileOptions> = {}): DockerfileOptions {
  return { lock: nltkGensimTorch, projectDir: dir, target: "lambda", handler: "app.handler", copy: [], link: false, version: "0.1.0", ...extra };
}

async function usageError(promise: Promise<unknown>): Promise<MlpackError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UsageError);
  return error as MlpackError;
}

/** The ENV instruction's variables. */
function envOf(dockerfile: string): Record<string, string> {
  const block = /^ENV ([\s\S]*?)(?<!\\)\n/m.exec(dockerfile)![1]!;
  return Object.fromEntries(block.split(/ \\\n\s*/).map((kv) => kv.split("=", 2) as [string, string]));
}

describe("dockerfile --storage efs", () => {
  it("has no asset stage or COPY (nothing bundled is needed), points every library under the mount, and says how to mount it", async () => {
    const p = await project();
    const r = await generateDockerfile(opts(p.dir, { storage: { storage: "efs", mount: "/mnt/ml" } }), { emit: noopEmit });
    expect(r.assetImage).toBeNull();
    expect(r.copies).toEqual([]);
    expect(r.storage).toEqual({ kind: "efs", root: "/mnt/ml", bucket: null, prefix: null });
    expect(r.dockerfile).not.toMatch(/^FROM .* AS |--from=|Assets first/m);
    expect(r.dockerfile.match(/^FROM /gm)).toHaveLength(1);
    const env = envOf(r.dockerfile);
    for (const asset of nltkGensimTorch.assets) {
      for (const [name, value] of Object.entries(asset.env)) {
        expect(env[name], name).toBe(value.replace(nltkGensimTorch.assetRoot, "/mnt/ml"));
      }
    }
    expect(r.dockerfile).toContain(`dev.mlpack.asset-root=/mnt/ml dev.mlpack.storage=efs`);
    expect(r.dockerfile).toContain(`LocalMountPath: /mnt/ml}`);
    expect(r.dockerfile).toMatch(/uid\/gid 1001/);
    expect(r.dockerfile).toMatch(/ClientMount without ClientWrite, and the\n?#?\s*mount is read-only/);
    expect(r.size.assetBytes).toBe(0);
  });

  it("refuses a mount path Lambda cannot use, and --no-assets with a storage", async () => {
    const p = await project();
    for (const mount of ["/models", "/mnt/a/b", "/mnt/..", "/mnt/"]) {
      const e = await usageError(generateDockerfile(opts(p.dir, { storage: { storage: "efs", mount } }), { emit: noopEmit }));
      expect(e.message).toContain(JSON.stringify(mount));
      expect(e.hint).toContain("^/mnt/[a-zA-Z0-9-_.]+$");
    }
    const e = await usageError(
      generateDockerfile(opts(p.dir, { assets: false, storage: { storage: "efs", mount: "/mnt/m" } }), { emit: noopEmit }),
    );
    expect(e.message).toBe("--no-assets and --storage efs exclude each other");
  });
});

describe("dockerfile --storage s3", () => {
  it("writes the loader into the task root and points every library under /tmp/mlpack-assets", async () => {
    const p = await project();
    const r = await generateDockerfile(opts(p.dir, { storage: { storage: "s3", bucket: "bkt-1", prefix: "fn/v1" } }), {
      emit: noopEmit,
    });
    expect(r.assetImage).toBeNull();
    expect(r.storage).toEqual({ kind: "s3", root: "/tmp/mlpack-assets", bucket: "bkt-1", prefix: "fn/v1" });
    const env = envOf(r.dockerfile);
    expect(env.MLPACK_ASSETS_BUCKET).toBe("bkt-1");
    expect(env.MLPACK_ASSETS_PREFIX).toBe("fn/v1");
    expect(env.NLTK_DATA).toBe("/tmp/mlpack-assets/nltk_data");
    expect(r.dockerfile).toContain("> /var/task/mlpack_assets.py && chmod 0644 /var/task/mlpack_assets.py");
    expect(r.dockerfile).toContain("s3:GetObject on arn:aws:s3:::bkt-1/fn/v1/*");
    expect(r.dockerfile).toContain("`import mlpack_assets`");
    expect(r.dockerfile).not.toMatch(/--from=|AS mlpack-assets/);
  });

  it("takes --bucket and --prefix from the last S3 export, warning when it exported another lock", async () => {
    const same = await project({ export: { kind: "s3", bucket: "last", prefix: "p/q", lockDigest: lockDigest(nltkGensimTorch) } });
    const r = await generateDockerfile(opts(same.dir, { storage: { storage: "s3" } }), { emit: noopEmit });
    expect(r.storage).toMatchObject({ bucket: "last", prefix: "p/q" });
    expect(r.warnings.filter((w) => w.includes("last export"))).toEqual([]);

    const other = await project({ export: { kind: "s3", bucket: "last", prefix: "p/q", lockDigest: `sha256:${"9".repeat(64)}` } });
    const stale = await generateDockerfile(opts(other.dir, { storage: { storage: "s3" } }), { emit: noopEmit });
    expect(stale.warnings).toContain(
      "the last export (s3://last/p/q) was of another mlpack.lock.json: run `mlpack export` again before deploying",
    );

    const none = await project();
    const e = await usageError(generateDockerfile(opts(none.dir, { storage: { storage: "s3" } }), { emit: noopEmit }));
    expect(e.message).toBe("--storage s3 needs --bucket (and usually --prefix)");
    const bad = await usageError(generateDockerfile(opts(none.dir, { storage: { storage: "s3", bucket: "B" } }), { emit: noopEmit }));
    expect(bad.message).toBe('--bucket/--prefix s3://B/: "B" is not a valid S3 bucket name');
  });

  it("gives a writable asset no /tmp view (the loader's /tmp is writable), but keeps the HOME link", async () => {
    const p = await project();
    const r = await generateDockerfile(
      opts(p.dir, { lock: writableHome, storage: { storage: "s3", bucket: "bkt", prefix: "" } }),
      { emit: noopEmit },
    );
    expect(envOf(r.dockerfile).SENTIMENT_HOME).toBe("/tmp/mlpack-assets/sentiment");
    expect(r.views.views).toEqual([]);
    expect(r.views.homes).toEqual([{ asset: "include-spacy-lite", rel: ".spacy-lite", target: "/tmp/mlpack-assets/include/spacy-lite" }]);
  });
});

describe("writeFileInstruction", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it("the RUN's shell command writes the loader byte for byte (minus blank and comment lines), and Python compiles it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mlpack-loader-"));
    dirs.push(dir);
    const path = join(dir, "sub", "mlpack_assets.py");
    const source = await loadLoaderSource();
    const run = writeFileInstruction(path, source);
    // What /bin/sh sees after the Dockerfile parser joins the continuation lines.
    const shell = run.replace(/^RUN /, "").replace(/ \\\n/g, " ");
    const r = await execa("sh", ["-c", shell], { reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    const expected = source
      .split("\n")
      .filter((l) => l.trim() !== "" && !/^\s*#/.test(l))
      .join("\n");
    expect(await readFile(path, "utf8")).toBe(`${expected}\n`);
    const compiled = await execa("python3", ["-m", "py_compile", path], { reject: false });
    expect(compiled.exitCode, compiled.stderr).toBe(0);
  });

  it("refuses a path the shell would interpret and a source line with a control character", () => {
    expect(() => writeFileInstruction("/var/task/$(id).py", "x = 1\n")).toThrow(/refusing to write the loader/);
    expect(() => writeFileInstruction("/var/task/m.py", "x = '\r'\n")).toThrow(/control character/);
  });
});
