import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "../util/atomic-write.js";
import { stableJson } from "../util/canonical-json.js";

const stateSchema = z.object({
  bundle: z
    .object({ manifestDigest: z.string(), layout: z.string(), lockDigest: z.string(), assetRoot: z.string() })
    .optional(),
  load: z.object({ tag: z.string(), manifestDigest: z.string(), imageId: z.string() }).optional(),
  push: z
    .object({
      reference: z.string(),
      registry: z.string(),
      repository: z.string(),
      tag: z.string(),
      digest: z.string(),
    })
    .optional(),
  export: z
    .discriminatedUnion("kind", [
      z.object({ kind: z.literal("s3"), bucket: z.string(), prefix: z.string(), lockDigest: z.string() }),
      z.object({ kind: z.literal("dir"), path: z.string(), lockDigest: z.string() }),
    ])
    .optional(),
});

/** `.mlpack/state.json`: what the last bundle, load, push and export produced, so later commands can default to it. */
export type State = z.infer<typeof stateSchema>;

export function statePath(projectDir: string): string {
  return join(projectDir, ".mlpack", "state.json");
}

/** A missing or unreadable state is simply empty: it only supplies defaults. */
export async function readState(projectDir: string): Promise<State> {
  try {
    const parsed = stateSchema.safeParse(JSON.parse(await readFile(statePath(projectDir), "utf8")));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

/** Merges `patch` into the state, written atomically. */
export async function updateState(projectDir: string, patch: Partial<State>): Promise<State> {
  const next = { ...(await readState(projectDir)), ...patch };
  await writeFileAtomic(statePath(projectDir), stableJson(next));
  return next;
}
