import { describe, expect, it } from "vitest";
import { classify, stagingFilter } from "../../src/discover/classify.js";
import { HF_DEFAULT_ENV, input } from "../catalog/support.js";

const HF = "/root/.cache/huggingface";
const REPO = `${HF}/hub/models--sentence-transformers--all-MiniLM-L6-v2`;
const SHA = "c9745ed1d9f207416be6d2e6f8de32d1f16199bf";
const BLOB = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db";

/** What one `SentenceTransformer("all-MiniLM-L6-v2")` run leaves in the hub cache, noise included. */
const hfRun = [
  `${HF}/token`,
  `${HF}/stored_tokens`,
  `${HF}/.check_for_update_done`,
  `${HF}/xet/chunk-cache/ab/cd`,
  `${HF}/hub/.locks/models--sentence-transformers--all-MiniLM-L6-v2/${BLOB}.lock`,
  `${HF}/hub/CACHEDIR.TAG`,
  `${REPO}/blobs/${BLOB}`,
  `${REPO}/blobs/${BLOB}.0f3a9c1e.incomplete`,
  `${REPO}/blobs/7cb18dc9bafbfcf74629a4b760af1b160957a83e`,
  `${REPO}/refs/main`,
  `${REPO}/snapshots/${SHA}/model.safetensors`,
  `${REPO}/snapshots/${SHA}/1_Pooling/config.json`,
  `${REPO}/.no_exist/${SHA}/adapter_config.json`,
  `${REPO}/trees/${SHA}.json`,
];

describe("classify: Hugging Face hub layout", () => {
  const result = classify(input(hfRun));

  it("finds one asset for the HF home, laid out per repo", () => {
    expect(result.assets).toEqual([
      {
        id: "huggingface",
        library: "huggingface",
        source: HF,
        target: "huggingface",
        env: HF_DEFAULT_ENV,
        layering: "hf-repos",
        hubDir: "hub",
        notes: expect.arrayContaining([expect.stringContaining("refs/")]),
        skipRules: expect.any(Array),
        writable: false,
      },
    ]);
  });

  it("reports the token files as secrets and skips noise, collapsed per subtree", () => {
    expect(result.secrets).toEqual([`${HF}/stored_tokens`, `${HF}/token`]);
    expect(result.skipped).toEqual([
      { path: `${HF}/.check_for_update_done`, reason: "noise: huggingface CLI bookkeeping" },
      { path: `${HF}/hub/.locks`, reason: "noise: download locks (only used while downloading)" },
      {
        path: `${REPO}/blobs/${BLOB}.0f3a9c1e.incomplete`,
        reason: "noise: interrupted or in-progress download",
      },
      { path: `${HF}/stored_tokens`, reason: "secret: Hugging Face stored access tokens" },
      { path: `${HF}/token`, reason: "secret: Hugging Face access token" },
      { path: `${HF}/xet`, reason: "noise: Xet chunk cache (transfer only)" },
    ]);
    expect(result.unknownRoots).toEqual([]);
  });

  it("stagingFilter keeps refs, snapshots, blobs, .no_exist, trees and drops token, locks, xet, incomplete", () => {
    const [asset] = result.assets;
    if (!asset) throw new Error("no asset");
    const keep = [
      "hub",
      "hub/CACHEDIR.TAG",
      "hub/models--sentence-transformers--all-MiniLM-L6-v2/refs/main",
      `hub/models--sentence-transformers--all-MiniLM-L6-v2/blobs/${BLOB}`,
      `hub/models--sentence-transformers--all-MiniLM-L6-v2/snapshots/${SHA}/model.safetensors`,
      `hub/models--sentence-transformers--all-MiniLM-L6-v2/.no_exist/${SHA}/adapter_config.json`,
      `hub/models--sentence-transformers--all-MiniLM-L6-v2/trees/${SHA}.json`,
      "modules/transformers_modules/x/__init__.py",
      "tokenizer_token.json",
    ];
    for (const rel of keep) expect(stagingFilter(asset, rel), rel).toBeUndefined();
    expect(stagingFilter(asset, "token")).toBe("secret: Hugging Face access token");
    expect(stagingFilter(asset, "./stored_tokens")).toBe("secret: Hugging Face stored access tokens");
    expect(stagingFilter(asset, "hub/.locks")).toMatch(/^noise: download locks/);
    expect(stagingFilter(asset, "hub/.locks/models--a--b/x.lock")).toMatch(/^noise: download locks/);
    expect(stagingFilter(asset, "xet/chunk-cache/ab")).toBe("noise: Xet chunk cache (transfer only)");
    expect(stagingFilter(asset, `hub/models--a--b/blobs/${BLOB}.0f3a9c1e.incomplete`)).toMatch(
      /^noise: interrupted/,
    );
    expect(stagingFilter(asset, "modules/transformers_modules/x/__pycache__/a.pyc")).toBe(
      "noise: Python bytecode cache",
    );
  });

  it("a parent-only change creates nothing", () => {
    const only = classify({
      ...input([]),
      changes: [
        { path: "/root", kind: "changed" },
        { path: HF, kind: "changed" },
      ],
    });
    expect(only).toEqual({
      assets: [],
      unknownRoots: [],
      unknown: [],
      scanRequests: [],
      unmatchedWritable: [],
      skipped: [],
      secrets: [],
    });
  });

  it("an HF home holding only noise and a token creates no asset", () => {
    const only = classify(input([`${HF}/token`, `${HF}/xet/a/b`, `${HF}/hub/.locks/x/y.lock`]));
    expect(only.assets).toEqual([]);
    expect(only.secrets).toEqual([`${HF}/token`]);
    expect(only.unknownRoots).toEqual([]);
  });

  it("deleted paths are ignored", () => {
    const gone = classify({ ...input([]), changes: [{ path: `${REPO}/refs/main`, kind: "deleted" }] });
    expect(gone.assets).toEqual([]);
  });

  it("a changed refs/main in a pre-baked cache is still the HF asset", () => {
    const changed = classify({ ...input([]), changes: [{ path: `${REPO}/refs/main`, kind: "changed" }] });
    expect(changed.assets.map((a) => a.id)).toEqual(["huggingface"]);
  });
});

describe("classify: HF caches moved by variables", () => {
  it("HF_HUB_CACHE outside HF_HOME is its own asset with HF_HUB_CACHE pointing at it", () => {
    const result = classify(
      input([`/models/hub/models--gpt2/refs/main`, "/models/hub/models--gpt2/blobs/ab"], {
        env: { HF_HUB_CACHE: "/models/hub" },
      }),
    );
    expect(result.assets).toHaveLength(1);
    expect(result.assets[0]).toMatchObject({
      id: "huggingface",
      source: "/models/hub",
      target: "huggingface/hub",
      layering: "hf-repos",
      hubDir: "",
    });
    const { HF_HOME: _home, ...rest } = HF_DEFAULT_ENV;
    expect(result.assets[0]?.env).toEqual(rest);
  });

  it("HUGGINGFACE_HUB_CACHE (legacy) is honoured, HF_HUB_CACHE wins over it", () => {
    const legacy = classify(
      input(["/legacy/models--gpt2/refs/main"], { env: { HUGGINGFACE_HUB_CACHE: "/legacy" } }),
    );
    expect(legacy.assets[0]?.source).toBe("/legacy");
    const both = classify(
      input(["/new/models--gpt2/refs/main", "/legacy/models--gpt2/refs/main"], {
        env: { HUGGINGFACE_HUB_CACHE: "/legacy", HF_HUB_CACHE: "/new" },
      }),
    );
    expect(both.assets.map((a) => a.source)).toEqual(["/new"]);
    expect(both.unknownRoots).toEqual(["/legacy"]);
  });

  it("HF_HUB_CACHE inside a moved HF_HOME under another name is re-pointed relative to the target", () => {
    const result = classify(
      input(["/m/hf/repos/models--gpt2/refs/main"], {
        env: { HF_HOME: "/m/hf", HF_HUB_CACHE: "/m/hf/repos" },
      }),
    );
    expect(result.assets[0]).toMatchObject({ id: "huggingface", source: "/m/hf", hubDir: "repos" });
    expect(result.assets[0]?.env.HF_HUB_CACHE).toBe("/cache/huggingface/repos");
    expect(result.assets[0]?.env.HF_HOME).toBe("/cache/huggingface");
  });

  it("HF home content plus a hub elsewhere gives two assets", () => {
    const result = classify(
      input([`${HF}/modules/transformers_modules/m/__init__.py`, "/hub/models--gpt2/refs/main"], {
        env: { HF_HUB_CACHE: "/hub" },
      }),
    );
    expect(result.assets.map((a) => [a.id, a.source, a.target, a.layering])).toEqual([
      ["huggingface", HF, "huggingface", "single"],
      ["huggingface-hub", "/hub", "huggingface/hub", "hf-repos"],
    ]);
    expect(result.assets[0]?.env.HF_HUB_CACHE).toBeUndefined();
    expect(result.assets[0]?.env.HF_MODULES_CACHE).toBe("/cache/huggingface/modules");
    expect(result.assets[1]?.env.HF_HUB_CACHE).toBe("/cache/huggingface/hub");
  });

  it("HF_TOKEN_PATH elsewhere is a secret there, with stored_tokens beside it", () => {
    const result = classify(
      input(["/secrets/hf/token", "/secrets/hf/stored_tokens", `${REPO}/refs/main`], {
        env: { HF_TOKEN_PATH: "/secrets/hf/token" },
      }),
    );
    expect(result.secrets).toEqual(["/secrets/hf/stored_tokens", "/secrets/hf/token"]);
    expect(result.assets.map((a) => a.id)).toEqual(["huggingface"]);
    expect(result.unknownRoots).toEqual([]);
  });

  it("HF_XET_CACHE is taken literally (no ~ expansion) and skipped", () => {
    const result = classify(input(["/x/xet/shard"], { env: { HF_XET_CACHE: "/x/xet" } }));
    expect(result.skipped).toEqual([{ path: "/x/xet", reason: "noise: Xet chunk cache (transfer only)" }]);
  });

  it("TRANSFORMERS_CACHE (transformers 4.x) is packaged with its variable", () => {
    const result = classify(
      input(["/tc/models--bert-base-uncased/refs/main"], { env: { TRANSFORMERS_CACHE: "/tc" } }),
    );
    expect(result.assets[0]).toMatchObject({
      id: "huggingface",
      source: "/tc",
      target: "huggingface/transformers",
      layering: "hf-repos",
    });
    expect(result.assets[0]?.env.TRANSFORMERS_CACHE).toBe("/cache/huggingface/transformers");
  });

  it("datasets files inside HF home add the datasets variable and note to the HF asset", () => {
    const result = classify(
      input([`${REPO}/refs/main`, `${HF}/datasets/squad/x.arrow`, `${HF}/datasets/_root_.cache_squad.lock`]),
    );
    expect(result.assets).toHaveLength(1);
    expect(result.assets[0]?.env.HF_DATASETS_CACHE).toBe("/cache/huggingface/datasets");
    expect(result.assets[0]?.notes.join("\n")).toContain("load_dataset");
    expect(result.skipped.map((s) => s.path)).toEqual([`${HF}/datasets/_root_.cache_squad.lock`]);
    const [asset] = result.assets;
    if (asset)
      expect(stagingFilter(asset, "datasets/squad/plain_text_builder.lock")).toBe(
        "noise: datasets lock file (transient)",
      );
  });
});
