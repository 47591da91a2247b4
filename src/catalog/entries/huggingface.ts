import { defineEntry, env, ref, xdgCache } from "../define.js";

/**
 * The Hugging Face cache: huggingface_hub and everything on top of it (transformers, sentence-transformers
 * ≥2.3, diffusers ≥0.14, timm HF weights, open_clip HF weights, llama-cpp-python `from_pretrained`).
 * Precedence from huggingface_hub `constants.py`: HF_HUB_CACHE > HUGGINGFACE_HUB_CACHE > $HF_HOME/hub,
 * HF_HOME > $XDG_CACHE_HOME/huggingface > ~/.cache/huggingface.
 */
export default defineEntry({
  id: "huggingface",
  library: "huggingface_hub",
  related: [
    "transformers",
    "sentence-transformers (>=2.3)",
    "diffusers",
    "timm (HF weights)",
    "open_clip (HF weights)",
    "llama-cpp-python",
  ],
  locations: [
    {
      key: "home",
      candidates: [env("HF_HOME", { expand: "all" }), xdgCache("huggingface")],
      target: "huggingface",
      env: { HF_HOME: "{dir}" },
      rules: [
        { glob: "token", kind: "secret", reason: "Hugging Face access token" },
        { glob: "stored_tokens", kind: "secret", reason: "Hugging Face stored access tokens" },
        { glob: ".check_for_update_done", kind: "noise", reason: "huggingface CLI bookkeeping" },
        { glob: ".check_for_skill_update_done", kind: "noise", reason: "huggingface CLI bookkeeping" },
        { glob: ".agent_harnesses.json", kind: "noise", reason: "huggingface CLI bookkeeping" },
      ],
    },
    {
      key: "hub",
      candidates: [
        env("HF_HUB_CACHE", { expand: "all" }),
        env("HUGGINGFACE_HUB_CACHE", { expand: "all" }),
        ref("huggingface.home", "hub"),
      ],
      target: "huggingface/hub",
      env: { HF_HUB_CACHE: "{dir}" },
      emitAlways: true,
      hfRepos: true,
      packageWith: "huggingface.home",
      rules: [{ glob: ".locks", kind: "noise", reason: "download locks (only used while downloading)" }],
    },
    {
      // transformers 4.36–4.5x honour these before HF_HUB_CACHE; v5 ignores them.
      key: "transformers",
      candidates: [
        env("TRANSFORMERS_CACHE"),
        env("PYTORCH_TRANSFORMERS_CACHE"),
        env("PYTORCH_PRETRAINED_BERT_CACHE"),
      ],
      target: "huggingface/transformers",
      env: { TRANSFORMERS_CACHE: "{dir}" },
      hfRepos: true,
      packageWith: "huggingface.home",
      rules: [{ glob: ".locks", kind: "noise", reason: "download locks (only used while downloading)" }],
    },
    {
      key: "modules",
      candidates: [env("HF_MODULES_CACHE"), ref("huggingface.home", "modules")],
      target: "huggingface/modules",
      env: { HF_MODULES_CACHE: "{dir}" },
      packageWith: "huggingface.home",
    },
    {
      key: "assets",
      candidates: [
        env("HF_ASSETS_CACHE", { expand: "all" }),
        env("HUGGINGFACE_ASSETS_CACHE", { expand: "all" }),
        ref("huggingface.home", "assets"),
      ],
      target: "huggingface/assets",
      env: { HF_ASSETS_CACHE: "{dir}" },
      packageWith: "huggingface.home",
    },
    {
      key: "xet",
      role: "noise",
      reason: "Xet chunk cache (transfer only)",
      candidates: [env("HF_XET_CACHE", { expand: "none" }), ref("huggingface.home", "xet")],
    },
    {
      key: "token",
      role: "secret",
      reason: "Hugging Face access token",
      candidates: [env("HF_TOKEN_PATH", { expand: "all" }), ref("huggingface.home", "token")],
    },
    {
      // stored_tokens sits next to the token file wherever HF_TOKEN_PATH puts it.
      key: "stored-tokens",
      role: "secret",
      reason: "Hugging Face stored access tokens",
      candidates: [ref("huggingface.token", "../stored_tokens")],
    },
  ],
  staticEnv: {
    HF_HUB_OFFLINE: "1",
    TRANSFORMERS_OFFLINE: "1",
    HF_DATASETS_OFFLINE: "1",
    HF_HUB_DISABLE_TELEMETRY: "1",
    HF_XET_CACHE: "/tmp/hf_xet",
  },
  notes: [
    "refs/ files are kept byte for byte (no trailing newline); .no_exist/ and trees/ are kept too.",
    "If you prune files from a snapshot, delete or rewrite the matching trees/<commit>.json or snapshot_download raises IncompleteSnapshotError.",
    "Pin revisions to a commit sha where possible; with HF_HUB_OFFLINE=1 nothing is written to the cache.",
    "transformers v5 ignores TRANSFORMERS_CACHE; use HF_HOME / HF_HUB_CACHE.",
    "llama-cpp-python Llama.from_pretrained lists the repo over the network first and fails offline: use Llama(model_path=...) with the baked file.",
  ],
});
