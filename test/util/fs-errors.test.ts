import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MlpackError, NoSpaceError } from "../../src/errors.js";
import { writeFileAtomic } from "../../src/util/atomic-write.js";
import { fsError } from "../../src/util/fs-errors.js";

const errno = (code: string) => Object.assign(new Error(`${code}: raw`), { code });

describe("fsError", () => {
  it.each([
    ["ENOSPC", "E_NO_SPACE", 1],
    ["EDQUOT", "E_NO_SPACE", 1],
    ["EACCES", "E_PERMISSION", 2],
    ["EPERM", "E_PERMISSION", 2],
    ["EROFS", "E_READ_ONLY", 2],
    ["EISDIR", "E_IS_DIRECTORY", 2],
    ["ENOTDIR", "E_NOT_DIRECTORY", 2],
    ["ENOENT", "E_PATH_NOT_FOUND", 2],
  ])("%s becomes %s (exit %d) naming the user's path", (code, mlpack, exit) => {
    const mapped = fsError(errno(code), { path: "/work/proj/Dockerfile", action: "writing the Dockerfile" });
    expect(mapped).toBeInstanceOf(MlpackError);
    expect((mapped as MlpackError).code).toBe(mlpack);
    expect((mapped as MlpackError).exitCode).toBe(exit);
    expect((mapped as MlpackError).message).toContain("/work/proj");
    expect((mapped as MlpackError).hint).toBeTruthy();
  });

  it("names the folder and the bytes needed for a full disk", () => {
    const mapped = fsError(errno("ENOSPC"), {
      path: "/data/.mlpack/assets",
      isDir: true,
      action: "staging asset nltk",
      neededBytes: 3 * 1024 * 1024,
    }) as NoSpaceError;
    expect(mapped.message).toBe("no space left in /data/.mlpack/assets while staging asset nltk (3.0 MiB needed in all)");
    expect(mapped.path).toBe("/data/.mlpack/assets");
    expect(mapped.neededBytes).toBe(3 * 1024 * 1024);
  });

  it("leaves errors it cannot explain alone, so bugs still look like bugs", () => {
    const odd = errno("EMFILE");
    expect(fsError(odd, { path: "/x", action: "y" })).toBe(odd);
    const plain = new TypeError("boom");
    expect(fsError(plain, { path: "/x", action: "y" })).toBe(plain);
  });
});

describe("writeFileAtomic", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "mlpack-atomic-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("does not create missing folders when asked not to, and names the user's folder", async () => {
    const path = join(dir, "typo", "Dockerfile");
    const error = (await writeFileAtomic(path, "x", { createParents: false }).catch((e: unknown) => e)) as MlpackError;
    expect(error.code).toBe("E_PATH_NOT_FOUND");
    expect(error.message).toContain(join(dir, "typo"));
    expect(error.message).not.toMatch(/\.tmp/);
  });

  it("reports a directory in the way as E_IS_DIRECTORY naming it", async () => {
    await mkdir(join(dir, "Dockerfile"));
    const error = (await writeFileAtomic(join(dir, "Dockerfile"), "x").catch((e: unknown) => e)) as MlpackError;
    expect(error.code).toBe("E_IS_DIRECTORY");
    expect(error.message).toContain(join(dir, "Dockerfile"));
  });
});
