import type { ChangedPath } from "./classify.js";

const KINDS: Record<number, ChangedPath["kind"]> = { 0: "changed", 1: "added", 2: "deleted" };

/**
 * Maps the Engine's `GET /containers/{id}/changes` rows to classifier input, dropping the project files that
 * mlpack itself copied in (they were "added" too, but by us, not by the command).
 */
export function changesFromDocker(
  rows: readonly { Path: string; Kind: number }[],
  ours: ReadonlySet<string>,
): ChangedPath[] {
  return rows
    .filter((r) => !ours.has(r.Path))
    .map((r) => ({ path: r.Path, kind: KINDS[r.Kind] ?? "changed" }));
}
