import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { type DockerfileOptions, generateDockerfile } from "../../src/dockerfile/dockerfile.js";
import { type MlpackError, UsageError } from "../../src/errors.js";
import { noopEmit } from "../../src/events.js";
import { lockDigest } from "../../src/lock/lock-digest.js";
import { type State, updateState } from "../../src/state/state.js";
import { useTempProject } from "../support/project.js";
import { nltkGensimTorch } from "./locks.js";

const MANIFEST = `sha256:${"1".repeat(64)}`;
const IMAGE_ID = `sha256:${"2".repeat(64)}`;
const PUSHED = `127.0.0.1:5000/demo/assets@${MANIFEST}`;
const OLD = `sha256:${"0".repeat(64)}`;
const OLD_PUSHED = `127.0.0.1:5000/demo/assets@${OLD}`;

async function project(
  state: State,
  files: Record<string, string> = { "app.py": "def handler(e, c): pass\n" },
) {
  const p = await useTempProject(files);
  if (Object.keys(state).length > 0) await updateState(p.dir, state);
  return p;
}

function opts(dir: string, extra: Partial<DockerfileOptions> = {}): DockerfileOptions {
  return {
    lock: nltkGensimTorch,
    projectDir: dir,
    target: "lambda",
    handler: "app.handler",
    copy: [],
    link: false,
    version: "0.1.0",
    ...extra,
  };
}

const bundle = {
  manifestDigest: MANIFEST,
  layout: "/x/.mlpack/oci",
  lockDigest: lockDigest(nltkGensimTorch),
  assetRoot: "/opt/ml",
};

async function usageError(promise: Promise<unknown>): Promise<MlpackError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UsageError);
  return error as MlpackError;
}

describe("generateDockerfile: which asset image", () => {
  it("fails with a way out when nothing was bundled, loaded or pushed", async () => {
    const p = await project({});
    const error = await usageError(generateDockerfile(opts(p.dir), { emit: noopEmit }));
    expect(error.code).toBe("E_NO_ASSET_IMAGE");
    expect(error.hint).toMatch(/bundle --load|push/);
  });

  it("prefers the pushed reference and takes the asset root from the matching bundle", async () => {
    const p = await project({
      bundle,
      load: { tag: "mlpack-assets:111111111111", manifestDigest: MANIFEST, imageId: IMAGE_ID },
      push: {
        reference: PUSHED,
        registry: "127.0.0.1:5000",
        repository: "demo/assets",
        tag: "sha-1",
        digest: MANIFEST,
      },
    });
    const r = await generateDockerfile(opts(p.dir), { emit: noopEmit });
    expect(r.dockerfile).toContain(`FROM ${PUSHED} AS mlpack-assets`);
    expect(r.assetImage).toMatchObject({ pin: "registry-digest", source: "push", assetRoot: "/opt/ml" });
    expect(r.env.NLTK_DATA).toBe("/opt/ml/nltk_data");
    expect(r.dockerfile).toContain("COPY --from=mlpack-assets /opt/ml/torch /opt/ml/torch");
    expect(r.warnings).toEqual([]);
  });

  it("pins a loaded image of the current bundle by its image ID", async () => {
    const p = await project({
      bundle,
      load: { tag: "mlpack-assets:111111111111", manifestDigest: MANIFEST, imageId: IMAGE_ID },
    });
    const r = await generateDockerfile(opts(p.dir), { emit: noopEmit });
    expect(r.dockerfile).toContain(`FROM ${IMAGE_ID} AS mlpack-assets`);
    expect(r.dockerfile).toContain("# Pinned by image ID");
    expect(r.assetImage?.pin).toBe("image-id");
  });

  it("pins the loaded image when the pushed one is an older bundle, with a warning", async () => {
    const p = await project({
      bundle,
      load: { tag: "mlpack-assets:111111111111", manifestDigest: MANIFEST, imageId: IMAGE_ID },
      push: { reference: OLD_PUSHED, registry: "r", repository: "d", tag: "t", digest: OLD },
    });
    const r = await generateDockerfile(opts(p.dir), { emit: noopEmit });
    expect(r.assetImage).toMatchObject({ pin: "image-id", from: IMAGE_ID });
    expect(r.warnings).toEqual([expect.stringContaining("is an older bundle")]);
  });

  it("refuses a bundle that was neither loaded nor pushed, naming the commands", async () => {
    const p = await project({ bundle });
    const error = await usageError(generateDockerfile(opts(p.dir), { emit: noopEmit }));
    expect(error.code).toBe("E_NO_ASSET_IMAGE");
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain("neither loaded nor pushed");
    expect(error.hint).toContain("mlpack push");
  });

  it("refuses a pushed image that is not the current bundle (stale pin), naming mlpack push", async () => {
    const p = await project({
      bundle,
      push: { reference: OLD_PUSHED, registry: "r", repository: "d", tag: "t", digest: OLD },
    });
    const error = await usageError(generateDockerfile(opts(p.dir), { emit: noopEmit }));
    expect(error.code).toBe("E_STALE_ASSET_IMAGE");
    expect(error.message).toContain(OLD_PUSHED);
    expect(error.hint).toMatch(/^Run `mlpack push`/);
  });

  it("refuses a loaded image that is not the current bundle, naming mlpack bundle --load", async () => {
    const p = await project({
      bundle,
      load: { tag: "mlpack-assets:000000000000", manifestDigest: OLD, imageId: IMAGE_ID },
    });
    const error = await usageError(generateDockerfile(opts(p.dir), { emit: noopEmit }));
    expect(error.code).toBe("E_STALE_ASSET_IMAGE");
    expect(error.hint).toMatch(/^Run `mlpack bundle --load`/);
  });

  it("refuses when the last bundle was built from another lock, whatever was pushed", async () => {
    const p = await project({
      bundle: { ...bundle, lockDigest: `sha256:${"9".repeat(64)}` },
      push: { reference: PUSHED, registry: "r", repository: "d", tag: "t", digest: MANIFEST },
    });
    const error = await usageError(generateDockerfile(opts(p.dir), { emit: noopEmit }));
    expect(error.code).toBe("E_STALE_ASSET_IMAGE");
    expect(error.message).toContain("built from another mlpack.lock.json");
    expect(error.hint).toContain("mlpack bundle");
  });

  it("--no-assets needs no asset image at all", async () => {
    const p = await project({});
    const r = await generateDockerfile(opts(p.dir, { assets: false }), { emit: noopEmit });
    expect(r.assetImage).toBeNull();
    expect(r.dockerfile).not.toContain("mlpack-assets");
  });

  it("takes a digest-pinned --asset-image as is", async () => {
    const p = await project({});
    const r = await generateDockerfile(opts(p.dir, { assetImage: PUSHED }), { emit: noopEmit });
    expect(r.dockerfile).toContain(`FROM ${PUSHED} AS mlpack-assets`);
  });

  it("refuses an unpinned --asset-image it cannot resolve, naming the flag", async () => {
    const p = await project({});
    const error = await usageError(
      generateDockerfile(opts(p.dir, { assetImage: "my/assets:latest" }), { emit: noopEmit }),
    );
    expect(error.code).toBe("E_ASSET_IMAGE_UNPINNED");
    expect(error.message).toContain("--asset-image my/assets:latest");
  });
});

describe("generateDockerfile: options and output", () => {
  it("needs --base for the generic target and rejects --cmd on the lambda target", async () => {
    const p = await project({
      bundle,
      push: { reference: PUSHED, registry: "r", repository: "d", tag: "t", digest: MANIFEST },
    });
    expect(
      (await usageError(generateDockerfile(opts(p.dir, { target: "generic" }), { emit: noopEmit }))).message,
    ).toMatch(/--base/);
    expect(
      (await usageError(generateDockerfile(opts(p.dir, { cmd: "python app.py" }), { emit: noopEmit })))
        .message,
    ).toMatch(/--cmd/);
  });

  it("writes -o atomically and warns about code paths missing from the project", async () => {
    const p = await project({
      bundle,
      push: { reference: PUSHED, registry: "r", repository: "d", tag: "t", digest: MANIFEST },
    });
    const r = await generateDockerfile(
      opts(p.dir, { output: p.path("Dockerfile"), copy: ["app.py", "missing.py"] }),
      { emit: noopEmit },
    );
    expect(await readFile(p.path("Dockerfile"), "utf8")).toBe(r.dockerfile);
    expect(r.output).toBe(p.path("Dockerfile"));
    expect(r.dockerignore).toEqual({ path: p.path(".dockerignore"), action: "created" });
    expect(await readFile(p.path(".dockerignore"), "utf8")).toMatch(/^\.mlpack\/$/m);
    expect(r.warnings).toEqual([expect.stringContaining("missing.py is not in")]);
  });
});
