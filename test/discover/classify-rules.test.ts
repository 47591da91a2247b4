import { describe, expect, it } from "vitest";
import { classify, isolatedEnv, stagingFilter } from "../../src/discover/classify.js";
import { diff, input } from "../catalog/support.js";

const HUB = "/root/.cache/huggingface/hub/models--gpt2";

describe("classify: --include and --exclude", () => {
  it("--include packages an unknown dir under include/<slug> and it is no longer unknown", () => {
    const files = ["/opt/ml/models/clf.joblib", "/opt/ml/models/vocab.txt"];
    const plain = classify(input(files));
    expect(plain.unknownRoots).toEqual(["/opt"]);
    const result = classify(input(files, { include: [{ path: "/opt/ml/models/" }] }));
    expect(result.unknownRoots).toEqual([]);
    expect(result.assets).toEqual([
      {
        id: "include-opt-ml-models",
        library: "include",
        source: "/opt/ml/models",
        target: "include/opt-ml-models",
        env: {},
        layering: "single",
        notes: [expect.stringContaining("/cache/include/opt-ml-models")],
        skipRules: [],
        writable: false,
        relocation: { via: "none" },
      },
    ]);
  });

  it("--include of a dir a catalog asset already covers adds nothing; one containing an asset carves it out", () => {
    const inside = classify(input([`${HUB}/refs/main`], { include: [{ path: "/root/.cache/huggingface/hub" }] }));
    expect(inside.assets.map((a) => a.id)).toEqual(["huggingface"]);
    const around = classify(
      input([`${HUB}/refs/main`, "/root/.cache/mything/a.bin"], { include: [{ path: "/root/.cache" }] }),
    );
    expect(around.assets.map((a) => a.id)).toEqual(["huggingface", "include-cache"]);
    const include = around.assets[1];
    if (!include) throw new Error("no include asset");
    expect(stagingFilter(include, "huggingface/hub/models--gpt2/refs/main")).toBe(
      "excluded: packaged as asset huggingface",
    );
    expect(stagingFilter(include, "mything/a.bin")).toBeUndefined();
  });

  it("--exclude removes a subtree from the asset, the plan and the unknown roots", () => {
    const files = [
      `${HUB}/refs/main`,
      `${HUB}/blobs/aa`,
      "/root/.cache/huggingface/hub/models--big--one/blobs/bb",
      "/data/dump/x.bin",
    ];
    const result = classify(
      input(files, { exclude: ["/root/.cache/huggingface/hub/models--big--*", "/data/**"] }),
    );
    expect(result.assets.map((a) => a.id)).toEqual(["huggingface"]);
    expect(result.unknownRoots).toEqual([]);
    expect(result.skipped).toEqual([
      { path: "/data/dump", reason: "excluded: --exclude /data/**" },
      {
        path: "/root/.cache/huggingface/hub/models--big--one",
        reason: "excluded: --exclude /root/.cache/huggingface/hub/models--big--*",
      },
    ]);
    const [asset] = result.assets;
    if (!asset) throw new Error("no asset");
    expect(stagingFilter(asset, "hub/models--big--one/blobs/bb")).toBe(
      "excluded: --exclude /root/.cache/huggingface/hub/models--big--*",
    );
    expect(stagingFilter(asset, "hub/models--gpt2/blobs/aa")).toBeUndefined();
  });

  it("an exclude covering the whole cache means no asset", () => {
    const result = classify(input([`${HUB}/refs/main`], { exclude: ["/root/.cache/**"] }));
    expect(result.assets).toEqual([]);
    expect(result.skipped).toEqual([
      { path: "/root/.cache/huggingface", reason: "excluded: --exclude /root/.cache/**" },
    ]);
  });

  it("a secret inside an excluded tree is still reported", () => {
    const result = classify(input(["/root/.aws/credentials"], { exclude: ["/root/**"] }));
    expect(result.secrets).toEqual(["/root/.aws"]);
  });
});

describe("classify: unknown roots, system paths, secrets", () => {
  it("reports the top-most added directory outside caches, never a parent of a cache", () => {
    const result = classify(
      input([
        `${HUB}/refs/main`,
        "/root/.cache/mymodel/weights/a.bin",
        "/root/.cache/mymodel/weights/b.bin",
        "/srv/models/x/y.onnx",
      ]),
    );
    expect(result.unknownRoots).toEqual(["/root/.cache/mymodel", "/srv"]);
  });

  it("an added file in an existing dir is its own root; changed files are never unknown", () => {
    const changes = [
      { path: "/var", kind: "changed" as const },
      { path: "/var/task", kind: "changed" as const },
      { path: "/var/task/yolov8n.pt", kind: "added" as const },
      { path: "/var/task/app.py", kind: "changed" as const },
    ];
    expect(classify({ ...input([]), changes }).unknownRoots).toEqual(["/var/task/yolov8n.pt"]);
  });

  it("system paths are not unknown roots; /tmp caches are still found", () => {
    const files = [
      "/etc/ld.so.cache",
      "/var/log/app.log",
      "/var/cache/apt/pkgcache.bin",
      "/var/lib/apt/lists/x",
      "/run/lock/a",
      "/tmp/scratch/x.bin",
      "/tmp/tfhub_modules/abc/saved_model.pb",
    ];
    const result = classify(input(files));
    expect(result.unknownRoots).toEqual([]);
    expect(result.assets.map((a) => a.id)).toEqual(["tfhub"]);
  });

  it("a HOME under /tmp (local runner) is not a system path", () => {
    const home = "/tmp/mlpack-home-x";
    const changes = diff(
      [`${home}/.cache/huggingface/hub/models--gpt2/refs/main`, `${home}/stuff/big.bin`],
      ["/", "/tmp", home],
    );
    const result = classify({ ...input([]), changes, home, env: isolatedEnv(home).set });
    expect(result.assets.map((a) => [a.id, a.source])).toEqual([
      ["huggingface", `${home}/.cache/huggingface`],
    ]);
    expect(result.unknownRoots).toEqual([`${home}/stuff`]);
  });

  it.each([
    ["/root/.netrc", "/root/.netrc"],
    ["/root/.aws/credentials", "/root/.aws"],
    ["/root/.docker/config.json", "/root/.docker"],
    ["/root/.ssh/id_ed25519", "/root/.ssh"],
    ["/root/.git-credentials", "/root/.git-credentials"],
    ["/root/.kaggle/kaggle.json", "/root/.kaggle/kaggle.json"],
    ["/var/task/id_rsa", "/var/task/id_rsa"],
  ])("secret %s is reported as %s and never unknown", (file, secret) => {
    const result = classify(input([file]));
    expect(result.secrets).toEqual([secret]);
    expect(result.skipped.map((s) => s.path)).toEqual([secret]);
    expect(result.skipped[0]?.reason).toMatch(/^secret: /);
    expect(result.unknownRoots).toEqual([]);
    expect(result.assets).toEqual([]);
  });

  it.each([
    ["/root/.cache/pip/http/a/b", "/root/.cache/pip"],
    ["/root/.cache/uv/wheels/x", "/root/.cache/uv"],
    ["/root/.cache/matplotlib/fontlist-v330.json", "/root/.cache/matplotlib"],
    ["/root/.config/matplotlib/matplotlibrc", "/root/.config/matplotlib"],
    ["/var/task/__pycache__/app.cpython-312.pyc", "/var/task/__pycache__"],
    [
      "/root/.cache/torch/hub/checkpoints/r.pth.1a2b.partial",
      "/root/.cache/torch/hub/checkpoints/r.pth.1a2b.partial",
    ],
  ])("noise %s is skipped as %s", (file, root) => {
    const result = classify(input([file]));
    expect(result.skipped).toEqual([{ path: root, reason: expect.stringMatching(/^noise: /) }]);
    expect(result.assets).toEqual([]);
    expect(result.unknownRoots).toEqual([]);
  });

  it("PIP_CACHE_DIR and NUMBA_CACHE_DIR move their noise", () => {
    const result = classify(
      input(["/pc/http/a", "/nc/x.nbi"], { env: { PIP_CACHE_DIR: "/pc", NUMBA_CACHE_DIR: "/nc" } }),
    );
    expect(result.skipped.map((s) => s.path)).toEqual(["/nc", "/pc"]);
  });
});

describe("classify: several places and merging", () => {
  it("torch hub plus legacy sentence-transformers under the same TORCH_HOME is one torch asset", () => {
    const result = classify(
      input([
        "/root/.cache/torch/hub/checkpoints/r.pth",
        "/root/.cache/torch/sentence_transformers/org_m/config.json",
      ]),
    );
    expect(result.assets.map((a) => a.id)).toEqual(["torch"]);
    expect(result.assets[0]?.env).toEqual({
      TORCH_HOME: "/cache/torch",
      SENTENCE_TRANSFORMERS_HOME: "/cache/torch/sentence_transformers",
      HF_HUB_OFFLINE: "1",
    });
  });

  it("nltk data in two search-path dirs gives two assets sharing one NLTK_DATA list", () => {
    const result = classify(input(["/root/nltk_data/corpora/a.zip", "/usr/share/nltk_data/corpora/b.zip"]));
    expect(result.assets.map((a) => [a.id, a.source, a.target])).toEqual([
      ["nltk", "/root/nltk_data", "nltk_data"],
      ["nltk-2", "/usr/share/nltk_data", "nltk_data-2"],
    ]);
    for (const a of result.assets) expect(a.env.NLTK_DATA).toBe("/cache/nltk_data:/cache/nltk_data-2");
  });

  it("assets are sorted by id and cover several libraries at once", () => {
    const result = classify(
      input([
        "/root/nltk_data/corpora/a.zip",
        `${HUB}/refs/main`,
        "/root/gensim-data/information.json",
        "/root/.cache/torch/hub/checkpoints/r.pth",
      ]),
    );
    expect(result.assets.map((a) => a.id)).toEqual(["gensim", "huggingface", "nltk", "torch"]);
  });

  it("relative variable values resolve against cwd when given", () => {
    const result = classify(
      input(["/var/task/models/hf/hub/models--gpt2/refs/main"], {
        env: { HF_HOME: "models/hf" },
        cwd: "/var/task",
      }),
    );
    expect(result.assets[0]?.source).toBe("/var/task/models/hf");
  });
});

describe("isolatedEnv", () => {
  const { set, unset } = isolatedEnv("/tmp/h");

  it("points HOME, the XDG bases and temp-dir caches into the home", () => {
    expect(set).toEqual({
      HOME: "/tmp/h",
      XDG_CACHE_HOME: "/tmp/h/.cache",
      XDG_CONFIG_HOME: "/tmp/h/.config",
      XDG_DATA_HOME: "/tmp/h/.local/share",
      TFHUB_CACHE_DIR: "/tmp/h/tfhub_modules",
      FASTEMBED_CACHE_PATH: "/tmp/h/fastembed_cache",
      TIKTOKEN_CACHE_DIR: "/tmp/h/data-gym-cache",
    });
  });

  it("removes every variable that could move a cache out of the home, and offline switches", () => {
    for (const name of [
      "HF_HOME",
      "HF_HUB_CACHE",
      "HUGGINGFACE_HUB_CACHE",
      "HF_DATASETS_CACHE",
      "TRANSFORMERS_CACHE",
      "TORCH_HOME",
      "NLTK_DATA",
      "GENSIM_DATA_DIR",
      "KERAS_HOME",
      "EASYOCR_MODULE_PATH",
      "STANZA_RESOURCES_DIR",
      "SENTENCE_TRANSFORMERS_HOME",
      "DATA_GYM_CACHE_DIR",
      "PADDLE_OCR_BASE_DIR",
      "PADDLE_PDX_CACHE_HOME",
      "HF_TOKEN_PATH",
      "HF_HUB_OFFLINE",
      "TRANSFORMERS_OFFLINE",
      "PIP_CACHE_DIR",
    ]) {
      expect(unset, name).toContain(name);
    }
    for (const name of ["TMPDIR", "VIRTUAL_ENV", "HOME", "XDG_CACHE_HOME", "TFHUB_CACHE_DIR"])
      expect(unset, name).not.toContain(name);
    expect([...unset].sort()).toEqual(unset);
  });

  it("a run with the isolated env puts each temp-dir cache where classify finds it", () => {
    const files = [
      "/tmp/h/tfhub_modules/abc/saved_model.pb",
      "/tmp/h/data-gym-cache/9b5ad71b2ce5302211f9c61530b329a4922fc6a4",
      "/tmp/h/.cache/whisper/base.pt",
    ];
    const result = classify({
      ...input([]),
      changes: diff(files, ["/", "/tmp", "/tmp/h"]),
      home: "/tmp/h",
      env: set,
    });
    expect(result.assets.map((a) => [a.id, a.source])).toEqual([
      ["tfhub", "/tmp/h/tfhub_modules"],
      ["tiktoken", "/tmp/h/data-gym-cache"],
      ["whisper", "/tmp/h/.cache/whisper"],
    ]);
  });
});
