import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { parseMountFlag, planStorageRun } from "../../src/verify/storage-run.js";
import { useTempProject } from "../support/project.js";

const CREDS = { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" };

function plan(extra: Partial<Parameters<typeof planStorageRun>[0]>, warnings: string[] = []) {
  return planStorageRun({ imageStorage: undefined, imageAssetRoot: undefined, env: {}, warn: (m) => warnings.push(m), ...extra });
}

describe("verify --mount DIR:/mnt/NAME", () => {
  it("splits at the last colon, resolves DIR against the project, and checks both halves", async () => {
    const p = await useTempProject();
    await mkdir(join(p.dir, "a:b"));
    expect(parseMountFlag("a:b:/mnt/models", p.dir)).toEqual({ dir: join(p.dir, "a:b"), path: "/mnt/models" });
    expect(() => parseMountFlag("/mnt/models", p.dir)).toThrow(/is not DIR:\/mnt\/NAME/);
    expect(() => parseMountFlag("a:b:", p.dir)).toThrow(/is not DIR:\/mnt\/NAME/);
    expect(() => parseMountFlag("a:b:/models", p.dir)).toThrow(/not a path Lambda can mount EFS at/);
    let error: unknown;
    try {
      parseMountFlag("missing:/mnt/models", p.dir);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).code).toBe("E_PATH_NOT_FOUND");
    expect((error as UsageError).message).toBe(`--mount: ${join(p.dir, "missing")} is not a folder`);
  });

  it("bind-mounts the export read-only without network, and warns when it has no manifest", async () => {
    const p = await useTempProject();
    const warnings: string[] = [];
    const run = plan({ imageStorage: "efs", imageAssetRoot: "/mnt/models", mount: { dir: p.dir, path: "/mnt/models" } }, warnings);
    expect(run).toEqual({
      mounts: [{ source: p.dir, target: "/mnt/models" }],
      network: "none",
      env: {},
      ephemeralAssets: false,
      description: `EFS export ${p.dir} at /mnt/models (read-only)`,
    });
    expect(warnings).toEqual([`${p.dir} has no mlpack-assets.json: not a complete export (run mlpack export --to ${p.dir})`]);
    await writeFile(join(p.dir, "mlpack-assets.json"), "{}");
    const quiet: string[] = [];
    plan({ imageStorage: "efs", imageAssetRoot: "/mnt/models", mount: { dir: p.dir, path: "/mnt/models" } }, quiet);
    expect(quiet).toEqual([]);
  });

  it("refuses an EFS-style image without --mount, or mounted elsewhere than it reads", async () => {
    const p = await useTempProject();
    expect(() => plan({ imageStorage: "efs", imageAssetRoot: "/mnt/m" })).toThrow(/reads its assets from an EFS mount at \/mnt\/m/);
    expect(() => plan({ imageStorage: "efs", imageAssetRoot: "/mnt/m", mount: { dir: p.dir, path: "/mnt/x" } })).toThrow(
      "--mount target /mnt/x, but the image reads its assets at /mnt/m",
    );
  });

  it("leaves a baked image alone", () => {
    expect(plan({})).toEqual({ mounts: [], network: "none", env: {}, ephemeralAssets: false, description: null });
  });
});

describe("verify --s3-endpoint URL", () => {
  it("gives the loader the endpoint and the credentials, the host network, and seals it after loading", () => {
    const run = plan({ imageStorage: "s3", s3Endpoint: "http://127.0.0.1:4568/", env: { ...CREDS, AWS_SESSION_TOKEN: "t" } });
    expect(run).toEqual({
      mounts: [],
      network: "host",
      env: {
        AWS_ENDPOINT_URL_S3: "http://127.0.0.1:4568",
        ...CREDS,
        AWS_SESSION_TOKEN: "t",
        MLPACK_ASSETS_SEAL_NETWORK: "1",
      },
      ephemeralAssets: true,
      description: "S3 endpoint http://127.0.0.1:4568 (network host, sealed after loading)",
    });
  });

  it("refuses an S3-style image without it, a non-loopback endpoint, and missing credentials", () => {
    expect(() => plan({ imageStorage: "s3", env: CREDS })).toThrow(/downloads its assets from S3 at cold start/);
    expect(() => plan({ imageStorage: "s3", s3Endpoint: "https://s3.amazonaws.com", env: CREDS })).toThrow(/must be on loopback/);
    expect(() => plan({ imageStorage: "s3", s3Endpoint: "http://127.0.0.1:1" })).toThrow(/needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
  });
});
