import type { ChangedPath, ClassifyInput } from "../../src/discover/classify.js";

/**
 * Builds a change list the way the Engine API reports one: every new file plus each new parent directory
 * as "added", and pre-existing parents (HOME, /tmp, …) as "changed".
 */
export function diff(
  files: readonly string[],
  existing: readonly string[] = ["/", "/root", "/tmp"],
): ChangedPath[] {
  const out = new Map<string, ChangedPath["kind"]>();
  for (const file of files) {
    const parts = file.split("/").filter(Boolean);
    for (let i = 1; i < parts.length; i++) {
      const dir = `/${parts.slice(0, i).join("/")}`;
      if (!out.has(dir)) out.set(dir, existing.includes(dir) ? "changed" : "added");
    }
    out.set(file, "added");
  }
  return [...out].map(([path, kind]) => ({ path, kind }));
}

/** A classify input with the defaults of a Lambda-python container run as root. */
export function input(files: readonly string[], overrides: Partial<ClassifyInput> = {}): ClassifyInput {
  return {
    changes: diff(files),
    env: {},
    home: "/root",
    assetRoot: "/cache",
    include: [],
    exclude: [],
    ...overrides,
  };
}

/** The Hugging Face runtime ENV that DESIGN §5 fixes for the default layout. */
export const HF_DEFAULT_ENV = {
  HF_HOME: "/cache/huggingface",
  HF_HUB_CACHE: "/cache/huggingface/hub",
  HF_HUB_OFFLINE: "1",
  TRANSFORMERS_OFFLINE: "1",
  HF_DATASETS_OFFLINE: "1",
  HF_HUB_DISABLE_TELEMETRY: "1",
  HF_XET_CACHE: "/tmp/hf_xet",
};
