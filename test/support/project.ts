import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, normalize, sep } from "node:path";
import { onTestFinished } from "vitest";

export interface TempProject {
  /** Absolute path of the project directory (under os.tmpdir()). */
  dir: string;
  /** Absolute path of a file inside the project. */
  path: (...segments: string[]) => string;
  /** Removes the directory; idempotent, so it can go to `onTestFinished` and `afterEach` alike. */
  cleanup: () => Promise<void>;
}

/**
 * Creates a temp project directory holding `files` (relative POSIX paths → contents; parent directories
 * are created). Pair with `onTestFinished(project.cleanup)` or use `useTempProject` inside a test.
 */
export async function tempProject(files: Record<string, string> = {}): Promise<TempProject> {
  const dir = await mkdtemp(join(tmpdir(), "mlpack-test-"));
  for (const [rel, content] of Object.entries(files)) {
    const target = normalize(join(dir, rel));
    if (isAbsolute(rel) || !target.startsWith(`${dir}${sep}`)) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`tempProject: file path must stay inside the project: ${rel}`);
    }
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
  }
  let removed: Promise<void> | undefined;
  return {
    dir,
    path: (...segments) => join(dir, ...segments),
    cleanup: () => {
      removed ??= rm(dir, { recursive: true, force: true });
      return removed;
    },
  };
}

/** `tempProject` for use inside a running test: removed automatically when the test finishes. */
export async function useTempProject(files: Record<string, string> = {}): Promise<TempProject> {
  const project = await tempProject(files);
  onTestFinished(() => project.cleanup());
  return project;
}
