import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { stagedProject } from "../export/project.js";

/** `mlpack dockerfile --storage` through the built CLI (no engine needed: nothing is resolved from an asset image). */
describe("mlpack dockerfile --storage (CLI)", () => {
  it("--storage efs prints the Dockerfile with the ENV under the mount and no asset stage", async () => {
    const p = await stagedProject();
    const r = await runCli(["dockerfile", "--storage", "efs", "--mount", "/mnt/ml"], { cwd: p.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ENV HF_HOME=\/mnt\/ml\/huggingface \\$/m);
    expect(r.stdout).toMatch(/^ {4}NLTK_DATA=\/mnt\/ml\/nltk_data \\$/m);
    expect(r.stdout).not.toMatch(/--from=|AS mlpack-assets/);
    expect(r.stdout).toMatch(/^CMD \["app\.handler"\]$/m);
  });

  it("--storage s3 takes the bucket and prefix from MLPACK_DOCKERFILE_* like any setting", async () => {
    const p = await stagedProject();
    const r = await runCli(["dockerfile", "--storage", "s3", "--json"], {
      cwd: p.dir,
      env: { MLPACK_DOCKERFILE_BUCKET: "my-models", MLPACK_DOCKERFILE_PREFIX: "fn/v2" },
    });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.storage).toEqual({ kind: "s3", root: "/tmp/mlpack-assets", bucket: "my-models", prefix: "fn/v2" });
    expect(doc.env).toMatchObject({ MLPACK_ASSETS_BUCKET: "my-models", MLPACK_ASSETS_PREFIX: "fn/v2" });
  });

  it("refuses a storage flag that the chosen --storage would ignore, with exit 2", async () => {
    const p = await stagedProject();
    const bucket = await runCli(["dockerfile", "--storage", "efs", "--bucket", "my-models"], { cwd: p.dir });
    expect(bucket.code).toBe(2);
    expect(bucket.stderr).toContain("--bucket/--prefix is for --storage s3, and this is --storage efs");
    const mount = await runCli(["dockerfile", "--mount", "/mnt/x"], { cwd: p.dir });
    expect(mount.code).toBe(2);
    expect(mount.stderr).toContain("--mount is for --storage efs, and this is --storage oci");
    const kind = await runCli(["dockerfile", "--storage", "nfs"], { cwd: p.dir });
    expect(kind.code).toBe(2);
    expect(kind.stderr).toMatch(/nfs/);
  });
});
