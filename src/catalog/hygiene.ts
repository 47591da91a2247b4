import { env, home, xdgCache, xdgConfig } from "./define.js";
import type { CacheLocation } from "./types.js";

/**
 * What is never packaged, as data: noise (transient or rebuildable files) and secrets (credentials that
 * must not end up in an image layer). Library-specific rules live on the catalog entries; these apply
 * everywhere.
 */

/** A rule on any path: `glob` is matched against the path and each of its ancestors (`**`, `*`, `?`). */
export interface GlobalRule {
  glob: string;
  kind: "noise" | "secret";
  reason: string;
}

/** Noise and secrets recognised by name wherever they appear (absolute paths or paths inside an asset). */
export const GLOBAL_RULES: readonly GlobalRule[] = [
  { glob: "**/.netrc", kind: "secret", reason: "netrc credentials" },
  { glob: "**/.aws", kind: "secret", reason: "AWS credentials" },
  { glob: "**/.docker", kind: "secret", reason: "Docker registry credentials" },
  { glob: "**/.ssh", kind: "secret", reason: "SSH keys" },
  { glob: "**/id_rsa", kind: "secret", reason: "SSH private key" },
  { glob: "**/id_ecdsa", kind: "secret", reason: "SSH private key" },
  { glob: "**/id_ed25519", kind: "secret", reason: "SSH private key" },
  { glob: "**/.git-credentials", kind: "secret", reason: "git credentials" },
  { glob: "**/.kaggle/kaggle.json", kind: "secret", reason: "Kaggle API key" },
  { glob: "**/.config/kaggle/kaggle.json", kind: "secret", reason: "Kaggle API key" },
  { glob: "**/.huggingface/token", kind: "secret", reason: "Hugging Face access token (legacy path)" },
  { glob: "**/.pypirc", kind: "secret", reason: "PyPI credentials" },
  { glob: "**/.npmrc", kind: "secret", reason: "npm credentials" },
  { glob: "**/.pgpass", kind: "secret", reason: "PostgreSQL passwords" },
  { glob: "**/.gnupg", kind: "secret", reason: "GnuPG keys" },
  { glob: "**/.azure", kind: "secret", reason: "Azure credentials" },
  { glob: "**/.kube", kind: "secret", reason: "Kubernetes credentials" },
  { glob: "**/.config/gcloud", kind: "secret", reason: "Google Cloud credentials" },
  { glob: "**/.config/gh", kind: "secret", reason: "GitHub CLI token" },
  { glob: "**/.env", kind: "secret", reason: "dotenv file (usually API keys)" },
  { glob: "**/__pycache__", kind: "noise", reason: "Python bytecode cache" },
  { glob: "**/.locks", kind: "noise", reason: "download locks (only used while downloading)" },
  { glob: "**/*.incomplete", kind: "noise", reason: "interrupted or in-progress download" },
  { glob: "**/*.partial", kind: "noise", reason: "interrupted or in-progress download" },
  { glob: "**/.python_history", kind: "noise", reason: "shell history" },
  { glob: "**/.bash_history", kind: "noise", reason: "shell history" },
  { glob: "**/.lesshst", kind: "noise", reason: "shell history" },
  { glob: "**/.wget-hsts", kind: "noise", reason: "wget's HSTS list" },
];

/** Tool caches that are noise wherever their variables put them. Same shape as catalog locations. */
export const NOISE_LOCATIONS: readonly CacheLocation[] = [
  { key: "pip", role: "noise", reason: "pip cache", candidates: [env("PIP_CACHE_DIR"), xdgCache("pip")] },
  { key: "uv", role: "noise", reason: "uv cache", candidates: [env("UV_CACHE_DIR"), xdgCache("uv")] },
  {
    key: "matplotlib-config",
    role: "noise",
    reason: "matplotlib config and font cache (set MPLCONFIGDIR=/tmp/matplotlib)",
    candidates: [env("MPLCONFIGDIR"), xdgConfig("matplotlib")],
  },
  {
    key: "matplotlib-cache",
    role: "noise",
    reason: "matplotlib font cache (set MPLCONFIGDIR=/tmp/matplotlib)",
    candidates: [env("MPLCONFIGDIR"), xdgCache("matplotlib")],
  },
  {
    key: "numba",
    role: "noise",
    reason: "numba JIT cache (set NUMBA_CACHE_DIR=/tmp/numba_cache)",
    candidates: [env("NUMBA_CACHE_DIR")],
  },
  {
    key: "triton",
    role: "noise",
    reason: "triton kernel cache",
    candidates: [env("TRITON_CACHE_DIR"), home(".triton")],
  },
  {
    key: "inductor",
    role: "noise",
    reason: "torch inductor compile cache",
    candidates: [env("TORCHINDUCTOR_CACHE_DIR")],
  },
];

/**
 * Paths whose changes are the OS's business, never unknown assets. `/tmp` is here too: a catalog cache
 * that resolves under it (tfhub, tiktoken, fastembed defaults) is still matched first, and a system
 * prefix that contains the run's HOME (the local runner's temporary home) is not applied.
 */
export const SYSTEM_PATHS: readonly string[] = [
  "/proc",
  "/sys",
  "/dev",
  "/run",
  "/etc",
  "/tmp",
  "/var/tmp",
  "/var/log",
  "/var/cache/apt",
  "/var/cache/debconf",
  "/var/cache/ldconfig",
  "/var/lib/apt",
  "/var/lib/dpkg",
];

/**
 * ENV every Lambda-target image gets whatever was found: HOME points somewhere writable so unknown
 * libraries write to /tmp, and the two libraries that fail at import without a writable cache get one.
 */
export const LAMBDA_RUNTIME_ENV: Readonly<Record<string, string>> = {
  HOME: "/tmp",
  MPLCONFIGDIR: "/tmp/matplotlib",
  NUMBA_CACHE_DIR: "/tmp/numba_cache",
};
