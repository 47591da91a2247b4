import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";

/**
 * The project's `.mlpack/` work folder: staged trees, the OCI layout, scratch space and state. Everything
 * mlpack writes into a project goes here (DESIGN §3), and nothing here is ever the user's own file.
 */
export const WORK_DIR = ".mlpack";

export const workDir = (projectDir: string): string => join(projectDir, WORK_DIR);
/** Staged asset trees, one folder per asset id. */
export const assetsDir = (projectDir: string): string => join(projectDir, WORK_DIR, "assets");
/** Scratch space of a running command (the local runner's throwaway HOME, export temp files, …). */
export const scratchDir = (projectDir: string): string => join(projectDir, WORK_DIR, "tmp");

/** Names a running command gives its scratch folders inside `assets/`; only such names are ever removed. */
export const STAGING_PREFIX = ".staging-";
export const OLD_PREFIX = ".old-";

/**
 * Removes what dead runs left behind (kill -9, a power cut): everything under `.mlpack/tmp`, and the
 * `.staging-*` / `.old-*` folders in `.mlpack/assets`. Call it only while holding the project lock: then no
 * other mlpack process is running in this project, so every such leftover is provably stale.
 * Returns the paths removed.
 */
export async function removeLeftovers(projectDir: string): Promise<string[]> {
  const removed: string[] = [];
  const sweep = async (dir: string, isLeftover: (name: string) => boolean) => {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return;
    }
    for (const name of names.filter(isLeftover)) {
      const path = join(dir, name);
      await rm(path, { recursive: true, force: true });
      removed.push(path);
    }
  };
  await sweep(scratchDir(projectDir), () => true);
  await sweep(assetsDir(projectDir), (name) => name.startsWith(STAGING_PREFIX) || name.startsWith(OLD_PREFIX));
  return removed;
}
