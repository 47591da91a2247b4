import type { Lock, LockAsset } from "../../src/lock/lock.js";

/** Lock shapes for the golden tests, in the exact form `mlpack discover` writes them. */
function asset(
  id: string,
  library: string,
  target: string,
  env: Record<string, string>,
  files: number,
  bytes: number,
): LockAsset {
  const hex = Buffer.from(id).toString("hex").padEnd(64, "0").slice(0, 64);
  return { id, library, source: `/root/${target}`, target, env, files, bytes, digest: `sha256:${hex}` };
}

function lock(assets: LockAsset[], assetRoot = "/cache"): Lock {
  return {
    schemaVersion: 1,
    runner: "docker",
    image: "public.ecr.aws/lambda/python:3.12",
    command: ["python", "app.py"],
    assetRoot,
    assets,
    skipped: [],
  };
}

export const HF_ENV = {
  HF_DATASETS_OFFLINE: "1",
  HF_HOME: "/cache/huggingface",
  HF_HUB_CACHE: "/cache/huggingface/hub",
  HF_HUB_DISABLE_TELEMETRY: "1",
  HF_HUB_OFFLINE: "1",
  HF_XET_CACHE: "/tmp/hf_xet",
  TRANSFORMERS_OFFLINE: "1",
};

export const hfOnly = lock([asset("huggingface", "huggingface", "huggingface", HF_ENV, 12, 438_000_000)]);

export const nltkGensimTorch = lock([
  asset("torch", "torch", "torch", { TORCH_HOME: "/cache/torch" }, 1, 46_830_571),
  asset("nltk", "nltk", "nltk_data", { NLTK_DATA: "/cache/nltk_data" }, 2, 21),
  asset("gensim", "gensim", "gensim-data", { GENSIM_DATA_DIR: "/cache/gensim-data" }, 3, 107),
]);

export const stanzaKeras = lock([
  asset(
    "stanza",
    "stanza",
    "stanza_resources",
    { STANZA_RESOURCES_DIR: "/cache/stanza_resources" },
    40,
    612_000_000,
  ),
  asset("keras", "keras", "keras", { KERAS_HOME: "/cache/keras" }, 2, 553_467_096),
]);

/** A library that writes into its cache (writable) and one found only under $HOME (home, no variable). */
export const writableHome = lock([
  { ...asset("sentiment", "sentiment", "sentiment", { SENTIMENT_HOME: "/cache/sentiment" }, 3, 4096), writable: true },
  { ...asset("include-spacy-lite", "include", "include/spacy-lite", {}, 2, 2048), home: ".spacy-lite" },
]);
