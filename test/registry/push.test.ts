import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { InterruptedError, RegistryError } from "../../src/errors.js";
import type { MlpackEvent } from "../../src/events.js";
import { pushImage } from "../../src/registry/push.js";
import { makeImage, randomImage, uniqueRepo } from "./support/image.js";
import { expectStored, PLAIN, plainRegistryUp } from "./support/registries.js";

const run = promisify(execFile);
const up = await plainRegistryUp();

describe.skipIf(!up)("pushImage against a real registry", () => {
  it("pushes every blob and the manifest; skopeo reads the same digest back", async () => {
    const image = randomImage([1024 * 1024, 300 * 1024, 5 * 1024 * 1024]);
    const repo = uniqueRepo("push");
    const events: MlpackEvent[] = [];
    const result = await pushImage({
      image,
      registry: PLAIN,
      repository: repo,
      tag: "v1",
      auth: undefined,
      emit: (e) => events.push(e),
    });
    expect(result.reference).toBe(`${PLAIN}/${repo}@${image.manifestDigest}`);
    expect(result.manifestAction).toBe("put");
    expect(result.blobs.map((b) => b.action)).toEqual(["uploaded", "uploaded", "uploaded", "uploaded"]);
    expect(result.uploadedBytes).toBe(image.config.size + image.layers.reduce((n, l) => n + l.size, 0));
    expect(result.skippedBytes).toBe(0);
    await expectStored(PLAIN, repo, "v1", image);
    // Progress reached every blob's full size and every bar was closed.
    for (const blob of [image.config, ...image.layers]) {
      const last = events.filter((e) => e.type === "progress" && e.id === blob.digest).at(-1);
      expect(last).toMatchObject({ done: blob.size, total: blob.size });
      expect(events).toContainEqual({ type: "progress-end", id: blob.digest });
    }

    const { stdout } = await run("skopeo", ["inspect", "--tls-verify=false", `docker://${PLAIN}/${repo}:v1`]);
    expect((JSON.parse(stdout) as { Digest: string }).Digest).toBe(image.manifestDigest);
    const dir = await mkdtemp(join(tmpdir(), "mlpack-skopeo-"));
    try {
      await run("skopeo", [
        "copy",
        "--preserve-digests",
        "--src-tls-verify=false",
        `docker://${PLAIN}/${repo}:v1`,
        `oci:${dir}/layout:v1`,
      ]);
      const index = JSON.parse(await readFile(join(dir, "layout", "index.json"), "utf8")) as {
        manifests: { digest: string }[];
      };
      expect(index.manifests[0]?.digest).toBe(image.manifestDigest);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a second push uploads nothing and skips the manifest PUT; a changed layer is the only upload", async () => {
    const layers = [randomBytes(200 * 1024), randomBytes(400 * 1024), randomBytes(100 * 1024)];
    const image = makeImage(layers);
    const repo = uniqueRepo("repush");
    await pushImage({ image, registry: PLAIN, repository: repo, tag: "t", auth: undefined });

    const again = await pushImage({ image, registry: PLAIN, repository: repo, tag: "t", auth: undefined });
    expect(again.uploadedBytes).toBe(0);
    expect(again.manifestAction).toBe("skipped");
    expect(again.blobs.every((b) => b.action === "skipped")).toBe(true);
    expect(again.digest).toBe(image.manifestDigest);

    const changed = makeImage([layers[0]!, randomBytes(50 * 1024), layers[2]!]);
    const third = await pushImage({
      image: changed,
      registry: PLAIN,
      repository: repo,
      tag: "t",
      auth: undefined,
    });
    const uploaded = third.blobs.filter((b) => b.action === "uploaded").map((b) => b.digest);
    // The new layer and the new config (its diff_ids changed); nothing else.
    expect(uploaded.sort()).toEqual([changed.layers[1]!.digest, changed.config.digest].sort());
    expect(third.uploadedBytes).toBe(changed.layers[1]!.size + changed.config.size);
    expect(third.manifestAction).toBe("put");
    await expectStored(PLAIN, repo, "t", changed);
  });

  it("mounts blobs from a source repository instead of uploading them", async () => {
    const image = randomImage([128 * 1024, 64 * 1024]);
    const source = uniqueRepo("mount-src");
    const target = uniqueRepo("mount-dst");
    await pushImage({ image, registry: PLAIN, repository: source, tag: "a", auth: undefined });
    const result = await pushImage({
      image,
      registry: PLAIN,
      repository: target,
      tag: "b",
      auth: undefined,
      sourceRepository: source,
    });
    expect(result.blobs.map((b) => b.action)).toEqual(["mounted", "mounted", "mounted"]);
    expect(result.uploadedBytes).toBe(0);
    await expectStored(PLAIN, target, "b", image);
  });

  it("pushes with monolithic PUTs when asked, with concurrency 1", async () => {
    const image = randomImage([700 * 1024, 10, 0]);
    const repo = uniqueRepo("mono");
    const result = await pushImage({
      image,
      registry: `http://${PLAIN}`,
      repository: repo,
      tag: "m",
      auth: undefined,
      monolithic: true,
      concurrency: 1,
    });
    expect(result.blobs.filter((b) => b.action === "uploaded")).toHaveLength(4);
    await expectStored(PLAIN, repo, "m", image);
  });

  it("throws InterruptedError when the signal fires mid-push", async () => {
    const image = randomImage([8 * 1024 * 1024, 8 * 1024 * 1024]);
    const controller = new AbortController();
    const emit = (e: MlpackEvent) => {
      if (e.type === "progress" && e.done > 0) controller.abort();
    };
    const push = pushImage({
      image,
      registry: PLAIN,
      repository: uniqueRepo("abort"),
      tag: "x",
      auth: undefined,
      emit,
      signal: controller.signal,
    });
    await expect(push).rejects.toBeInstanceOf(InterruptedError);
  });

  it("rejects bad names and an inconsistent manifest before any network call", async () => {
    const image = randomImage([10]);
    const base = { image, registry: PLAIN, tag: "ok", auth: undefined };
    await expect(pushImage({ ...base, repository: "Upper/Case" })).rejects.toMatchObject({ code: "E_USAGE" });
    await expect(pushImage({ ...base, repository: "ok", tag: "-bad" })).rejects.toMatchObject({
      code: "E_USAGE",
    });
    const broken = { ...image, manifestDigest: `sha256:${"0".repeat(64)}` };
    await expect(pushImage({ ...base, image: broken, repository: "ok" })).rejects.toMatchObject({
      code: "E_USAGE",
    });
    await expect(
      pushImage({ ...base, registry: "http://example.com", repository: "ok" }),
    ).rejects.toMatchObject({ code: "E_USAGE" });
  });

  it("names the missing manifest blob when the registry rejects the manifest", async () => {
    const image = randomImage([1000]);
    const missing = { ...image, layers: [] };
    // The manifest references a layer we never upload.
    const err = await pushImage({
      image: missing,
      registry: PLAIN,
      repository: uniqueRepo("badmanifest"),
      tag: "x",
      auth: undefined,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err).toMatchObject({ registryCode: "MANIFEST_BLOB_UNKNOWN", status: 400, retryable: false });
    expect((err as RegistryError).hint).toMatch(/missing/);
  });
});
