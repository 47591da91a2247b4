import { describe, expect, it } from "vitest";
import { formatBytes } from "../../src/cli/format.js";
import { stepSummaryMarkdown } from "../../src/cli/step-summary.js";

const D = (c: string) => `sha256:${c.repeat(64)}`;
const asset = (id: string, bytes: number) => ({
  id,
  library: id,
  source: `/root/${id}`,
  target: id,
  env: { X: "1" },
  files: 2,
  bytes,
  digest: D("a"),
});

const discoverData = {
  lockFile: "/p/mlpack.lock.json",
  checked: false,
  lock: {
    schemaVersion: 1,
    runner: "docker",
    image: "img",
    command: ["python3", "app.py"],
    assetRoot: "/cache",
    assets: [asset("nltk", 21), asset("torch", 65536)],
    skipped: [],
  },
  assets: [
    { ...asset("nltk", 21), notes: [], stagedPath: "/p/.mlpack/assets/nltk" },
    { ...asset("torch", 65536), notes: [], stagedPath: "/p/.mlpack/assets/torch" },
  ],
  unclassified: [
    { path: "/root/.odd|dir", kind: "folder", files: 1, bytes: 2097152, include: "~/.odd|dir", relocation: { via: "home" } },
  ],
  skipped: [],
  secrets: ["/root/.cache/huggingface/token"],
  keptContainer: null,
};

describe("stepSummaryMarkdown", () => {
  it("discover: one table row per asset with its target and size, pipes escaped", () => {
    const md = stepSummaryMarkdown("discover", discoverData) ?? "";
    expect(md).toMatch(/^### mlpack discover\n/);
    expect(md).toContain("| `nltk` | nltk | `/cache/nltk` | 2 | 21 B | 21 |");
    expect(md).toContain("| `torch` | torch | `/cache/torch` | 2 | 64.0 KiB | 65536 |");
    expect(md).toContain("- `/root/.odd|dir`: 1 file, 2.0 MiB; add with `--include '~/.odd|dir'`");
    expect(md).toContain("`/root/.cache/huggingface/token`");
    expect(md).toContain("Wrote `mlpack.lock.json`.");
  });

  it("escapes pipes inside table cells", () => {
    // Library names are slugs (lock-rules), but a target may hold a pipe.
    const odd = { ...discoverData.assets[0], target: "a|b" };
    const md = stepSummaryMarkdown("discover", { ...discoverData, assets: [odd] }) ?? "";
    expect(md).toContain("| `nltk` | nltk | `/cache/a\\|b` |");
  });

  it("bundle: the image digest and one row per layer", () => {
    const layer = (title: string, size: number) => ({
      assetId: "hf",
      title,
      files: 3,
      digest: D("b"),
      diffId: D("c"),
      size,
      uncompressedSize: 4096,
      mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
    });
    const md =
      stepSummaryMarkdown("bundle", {
        digest: D("d"),
        configDigest: D("e"),
        lockDigest: D("f"),
        layout: "/p/.mlpack/oci",
        loaded: { tag: "mlpack-assets:dddddddddddd", imageId: D("e") },
        layers: [layer("huggingface/hub/models--a--b", 1000), layer("nltk_data", 24)],
        skipped: [],
      }) ?? "";
    expect(md).toContain(`Image \`${D("d")}\`: 2 layers, ${formatBytes(1024)} compressed.`);
    expect(md).toContain("| `huggingface/hub/models--a--b` | hf | 3 | 4.0 KiB | 1000 B |");
    expect(md).toContain("Loaded into Docker as `mlpack-assets:dddddddddddd`.");
  });

  it("push: the reference and bytes uploaded versus skipped", () => {
    const md =
      stepSummaryMarkdown("push", {
        reference: `127.0.0.1:5000/demo/assets@${D("d")}`,
        imageUri: `127.0.0.1:5000/demo/assets@${D("d")}`,
        digest: D("d"),
        registry: "127.0.0.1:5000",
        repository: "demo/assets",
        tag: "sha-dddddddddddd",
        uploadedBytes: 3000,
        skippedBytes: 70000,
        manifestAction: "put",
        blobs: [
          { digest: D("1"), size: 3000, action: "uploaded" },
          { digest: D("2"), size: 70000, action: "skipped" },
        ],
      }) ?? "";
    expect(md).toContain(`Pushed \`127.0.0.1:5000/demo/assets@${D("d")}\``);
    expect(md).toContain(`| uploaded | 1 | ${formatBytes(3000)} | 3000 |`);
    expect(md).toContain(`| skipped (already there) | 1 | ${formatBytes(70000)} | 70000 |`);
  });

  it("dockerfile and verify: one line", () => {
    const data = {
      dockerfile: "FROM x\n",
      output: "/p/Dockerfile",
      target: "lambda",
      base: "public.ecr.aws/lambda/python:3.12",
      assetImage: { from: `r/a@${D("d")}`, pin: "registry-digest", name: "r/a:t", source: "push" },
      storage: { kind: "oci", root: "/cache", bucket: null, prefix: null },
      lockDigest: D("f"),
      assetRoot: "/cache",
      env: { A: "1", B: "2" },
      copies: [{ asset: "nltk", path: "/cache/nltk_data" }],
      code: ["app.py"],
      notes: [],
      views: { views: [], homes: [] },
      entrypoint: null,
      dockerignore: { path: "/p/.dockerignore", action: "created" },
      size: { assetBytes: 10, baseBytes: null, totalBytes: 10, limitBytes: 10 },
    };
    expect(stepSummaryMarkdown("dockerfile", data)).toBe(
      `### mlpack dockerfile\n\nWrote \`/p/Dockerfile\` (lambda) from \`r/a@${D("d")}\`: 1 asset COPY lines, 2 ENV variables, 10 B in total.\n`,
    );
    const efs = {
      ...data,
      assetImage: null,
      storage: { kind: "efs", root: "/mnt/models", bucket: null, prefix: null },
      copies: [],
      assetRoot: "/mnt/models",
    };
    expect(stepSummaryMarkdown("dockerfile", efs)).toBe(
      "### mlpack dockerfile\n\nWrote `/p/Dockerfile` (lambda) with the assets on efs at `/mnt/models`: 0 asset COPY lines, 2 ENV variables, 10 B in total.\n",
    );
    expect(stepSummaryMarkdown("verify", { image: "app:1", ok: true, argv: ["python3", "smoke.py"], findings: [] })).toContain(
      "`app:1` ran read-only",
    );
  });

  it("nothing for an unknown command or data that is not the command's result", () => {
    expect(stepSummaryMarkdown("deploy", {})).toBeUndefined();
    expect(stepSummaryMarkdown("push", { reference: "x" })).toBeUndefined();
  });
});
