import { GetAccountSettingCommand, GetAuthorizationTokenCommand, ECRClient } from "@aws-sdk/client-ecr";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { type AssembleOptions, assemble } from "../../src/assemble/assemble.js";
import type { ImageConfig } from "../../src/assemble/plan.js";
import { LABEL_ASSET_ROOT, LABEL_LOCK_DIGEST } from "../../src/bundle/labels.js";
import type { MlpackEvent } from "../../src/events.js";
import type { Lock } from "../../src/lock/lock.js";
import { lockDigest } from "../../src/lock/lock-digest.js";
import { registryCredentials } from "../../src/registry/credentials.js";
import { EcrSession } from "../../src/registry/ecr.js";
import { DOCKER, type ImageManifest, OCI } from "../../src/registry/media-types.js";
import { pushImage } from "../../src/registry/push.js";
import { staticCredentials } from "../../src/registry/types.js";
import { type FaultProxy, startFaultProxy } from "./support/fault-proxy.js";
import { type TestImage, uniqueRepo } from "./support/image.js";
import { buildTestImage, tarBytes, withParents } from "./support/layers.js";
import { PLAIN, plainRegistryUp, pullBlob, TLS, TLS_PASSWORD, TLS_USER, tlsCa, tlsRegistryUp } from "./support/registries.js";

/**
 * `assemble` through its library API against the real registries: the asset layers are mounted (same
 * registry), streamed when the registry declines (ECR's 202) or lives elsewhere, and never uploaded from here;
 * the result is one media-type family and carries the lock's ENV. ECR's control plane is mocked.
 */

const plainUp = await plainRegistryUp();
const tlsUp = await tlsRegistryUp();

const LOCK: Lock = {
  schemaVersion: 1,
  runner: "local",
  image: null,
  command: ["python3", "app.py"],
  assetRoot: "/cache",
  assets: [
    {
      id: "nltk",
      library: "nltk",
      source: "~/nltk_data",
      target: "nltk_data",
      env: { NLTK_DATA: "/cache/nltk_data" },
      files: 1,
      bytes: 5,
      digest: `sha256:${"a".repeat(64)}`,
    },
  ],
  skipped: [],
};

function assetImage(lock = LOCK): TestImage {
  return buildTestImage({
    family: "oci",
    layers: [
      { tar: tarBytes(withParents([{ name: "cache/nltk_data/corpora/words.txt", data: "hello" }])), compression: "gzip", title: "nltk_data" },
      { tar: tarBytes(withParents([{ name: "cache/torch/hub/w.bin", data: Buffer.alloc(70_000, 7) }])), compression: "gzip", title: "torch" },
    ],
    config: { Labels: { [LABEL_LOCK_DIGEST]: lockDigest(lock), [LABEL_ASSET_ROOT]: "/cache" } },
  });
}

function appImage(family: "oci" | "docker", marker = "v1"): TestImage {
  return buildTestImage({
    family,
    layers: [
      { tar: tarBytes(withParents([{ name: "bin/sh", data: "#!fake", mode: 0o755 }])), compression: "gzip" },
      { tar: tarBytes(withParents([{ name: "var/task/app.py", data: `print("${marker}")` }])), compression: "gzip" },
    ],
    config: { Env: ["PATH=/usr/bin:/bin", "NLTK_DATA=/opt/app-nltk"], Cmd: ["app.handler"] },
  });
}

async function push(registry: string, repo: string, tag: string, image: TestImage, auth = staticCredentials(undefined), ca?: string) {
  return pushImage({ image, registry, repository: repo, tag, auth, ...(ca ? { ca } : {}) });
}

async function getManifest(host: string, repo: string, digest: string): Promise<ImageManifest> {
  const res = await fetch(`http://${host}/v2/${repo}/manifests/${digest}`, {
    headers: { accept: `${OCI.manifest}, ${DOCKER.manifest}` },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as ImageManifest;
}

const base = (over: Partial<AssembleOptions>): AssembleOptions => ({
  app: "",
  assets: "",
  lock: LOCK,
  version: "0.0.0-test",
  credentials: staticCredentials(undefined),
  retry: { attempts: 2, baseDelayMs: 5 },
  ...over,
});

let proxy: FaultProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

describe.skipIf(!plainUp)("assemble on the plain registry", () => {
  it.each(["docker", "oci"] as const)("a %s app: asset layers mounted, one family, ENV merged, no-op the second time", async (family) => {
    const assets = assetImage();
    const app = appImage(family);
    const assetRepo = uniqueRepo("asm-assets");
    const appRepo = uniqueRepo(`asm-app-${family}`);
    const pushedAssets = await push(PLAIN, assetRepo, "a", assets);
    await push(PLAIN, appRepo, "v1", app);
    proxy = await startFaultProxy(PLAIN);
    const events: MlpackEvent[] = [];
    const opts = base({
      app: `${proxy.host}/${appRepo}:v1`,
      assets: `${proxy.host}/${assetRepo}@${pushedAssets.digest}`,
      emit: (e) => events.push(e),
    });
    const result = await assemble(opts);
    expect(result.reference).toBe(`${proxy.host}/${appRepo}@${result.digest}`);
    expect(result.tag).toBe(`sha-${result.digest.slice(7, 19)}`);
    const byRole = (role: string) => result.layers.filter((l) => l.source === role);
    expect(byRole("assets").map((l) => [l.digest, l.action])).toEqual(assets.layers.map((l) => [l.digest, "mounted"]));
    expect(byRole("app").every((l) => l.action === "skipped")).toBe(true);
    expect(byRole("config")).toHaveLength(1);
    // The only bytes sent are the new config's.
    expect(result.bytes.uploaded).toBe(byRole("config")[0]?.size);
    expect(result.bytes.mounted).toBe(assets.layers.reduce((n, l) => n + l.size, 0));
    // What the registry saw: a mount per asset blob, and a single PATCH (the config).
    for (const layer of assets.layers) {
      expect(proxy.log).toContainEqual(expect.objectContaining({ method: "POST", status: 201, url: expect.stringContaining(`mount=${encodeURIComponent(layer.digest)}`) }));
    }
    expect(proxy.log.filter((r) => r.method === "PATCH")).toHaveLength(1);

    const manifest = await getManifest(PLAIN, appRepo, result.digest);
    const T = family === "oci" ? OCI : DOCKER;
    expect(manifest.mediaType).toBe(T.manifest);
    expect(manifest.config.mediaType).toBe(T.config);
    expect(new Set(manifest.layers.map((l) => l.mediaType))).toEqual(new Set([T.layerGzip]));
    expect(manifest.layers.map((l) => l.digest)).toEqual([...app.layers, ...assets.layers].map((l) => l.digest));
    const config = JSON.parse((await pullBlob(PLAIN, appRepo, manifest.config.digest)).toString()) as ImageConfig;
    const assetConfig = JSON.parse(assets.config.bytes.toString()) as ImageConfig;
    const appConfig = JSON.parse(app.config.bytes.toString()) as ImageConfig;
    expect(config.rootfs?.diff_ids).toEqual([...(appConfig.rootfs?.diff_ids ?? []), ...(assetConfig.rootfs?.diff_ids ?? [])]);
    expect(config.config?.Env).toEqual([
      "PATH=/usr/bin:/bin",
      "NLTK_DATA=/opt/app-nltk:/cache/nltk_data",
      "HOME=/tmp",
      "MPLCONFIGDIR=/tmp/matplotlib",
      "NUMBA_CACHE_DIR=/tmp/numba_cache",
    ]);
    expect(config.config?.Labels?.[LABEL_LOCK_DIGEST]).toBe(lockDigest(LOCK));
    expect(config.config?.Labels?.["dev.mlpack.assets"]).toBe(`${proxy.host}/${assetRepo}@${pushedAssets.digest}`);
    expect(config.history?.filter((h) => h.empty_layer !== true)).toHaveLength(4);
    expect(result.check.ok).toBe(true);
    expect(result.check.layers.map((l) => l.digest)).toEqual(manifest.layers.map((l) => l.digest));

    // Same inputs, same digest: nothing moves the second time.
    const before = proxy.log.length;
    const again = await assemble(opts);
    expect(again.digest).toBe(result.digest);
    expect(again.manifestAction).toBe("skipped");
    expect(again.bytes.uploaded).toBe(0);
    expect(proxy.log.slice(before).filter((r) => ["POST", "PATCH", "PUT"].includes(r.method))).toEqual([]);
  });

  it("when the registry declines the mount (202, as ECR without BLOB_MOUNTING), each asset blob is streamed from the asset repository", async () => {
    const assets = assetImage();
    const assetRepo = uniqueRepo("asm-decline-assets");
    const appRepo = uniqueRepo("asm-decline-app");
    const pushedAssets = await push(PLAIN, assetRepo, "a", assets);
    await push(PLAIN, appRepo, "v1", appImage("docker"));
    proxy = await startFaultProxy(PLAIN, {
      rules: [{ method: "POST", path: /mount=/, times: Number.POSITIVE_INFINITY, fault: { kind: "decline-mount" } }],
    });
    const result = await assemble(base({ app: `${proxy.host}/${appRepo}:v1`, assets: `${proxy.host}/${assetRepo}@${pushedAssets.digest}` }));
    expect(result.layers.filter((l) => l.source === "assets").map((l) => l.action)).toEqual(["uploaded", "uploaded"]);
    // GET from the asset repository, into the session the declined mount opened.
    for (const layer of assets.layers) {
      expect(proxy.log).toContainEqual(expect.objectContaining({ method: "GET", url: `/v2/${assetRepo}/blobs/${layer.digest}` }));
      expect((await pullBlob(PLAIN, appRepo, layer.digest)).equals(layer.bytes)).toBe(true);
    }
  });

  it("refuses a multi-platform app index unless --platform picks one", async () => {
    const assets = assetImage();
    const assetRepo = uniqueRepo("asm-index-assets");
    const appRepo = uniqueRepo("asm-index-app");
    const pushedAssets = await push(PLAIN, assetRepo, "a", assets);
    const app = appImage("oci");
    await push(PLAIN, appRepo, "single", app);
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI.index,
        manifests: [
          { mediaType: OCI.manifest, digest: app.manifestDigest, size: app.manifest.length, platform: { os: "linux", architecture: "amd64" } },
          { mediaType: OCI.manifest, digest: app.manifestDigest, size: app.manifest.length, platform: { os: "linux", architecture: "arm64" } },
        ],
      }),
    );
    const put = await fetch(`http://${PLAIN}/v2/${appRepo}/manifests/multi`, { method: "PUT", headers: { "content-type": OCI.index }, body: index });
    expect(put.status).toBe(201);
    const opts = base({ app: `${PLAIN}/${appRepo}:multi`, assets: `${PLAIN}/${assetRepo}@${pushedAssets.digest}` });
    await expect(assemble(opts)).rejects.toMatchObject({
      code: "E_MULTI_PLATFORM",
      exitCode: 2,
      message: expect.stringContaining("linux/amd64, linux/arm64"),
    });
    const picked = await assemble({ ...opts, platform: "linux/amd64" });
    const manifest = await getManifest(PLAIN, appRepo, picked.digest);
    expect(manifest.mediaType).toBe(OCI.manifest);
    expect(manifest.layers[0]?.digest).toBe(app.layers[0]?.digest);
    expect(manifest.annotations?.["org.opencontainers.image.base.digest"]).toBe(app.manifestDigest);
  });

  it("refuses an asset image built from another lock, and uncompressed assets under a Docker app", async () => {
    const stale = assetImage({ ...LOCK, assetRoot: "/opt/other" });
    const assetRepo = uniqueRepo("asm-stale");
    const appRepo = uniqueRepo("asm-stale-app");
    const pushedStale = await push(PLAIN, assetRepo, "a", stale);
    await push(PLAIN, appRepo, "v1", appImage("docker"));
    await expect(assemble(base({ app: `${PLAIN}/${appRepo}:v1`, assets: `${PLAIN}/${assetRepo}@${pushedStale.digest}` }))).rejects.toMatchObject({
      code: "E_ASSET_IMAGE_STALE",
      exitCode: 2,
    });
    const plainTar = buildTestImage({
      family: "oci",
      layers: [{ tar: tarBytes(withParents([{ name: "cache/nltk_data/x", data: "x" }])), compression: "none", title: "nltk_data" }],
      config: { Labels: { [LABEL_LOCK_DIGEST]: lockDigest(LOCK) } },
    });
    const pushedTar = await push(PLAIN, assetRepo, "tar", plainTar);
    await expect(assemble(base({ app: `${PLAIN}/${appRepo}:v1`, assets: `${PLAIN}/${assetRepo}@${pushedTar.digest}` }))).rejects.toMatchObject({
      code: "E_MEDIA_TYPE",
      message: expect.stringContaining("layer 1 (nltk_data) is an uncompressed tar"),
    });
  });

  it("an image that breaks a Lambda rule is refused before anything is tagged", async () => {
    const assets = assetImage();
    const assetRepo = uniqueRepo("asm-bad-assets");
    const appRepo = uniqueRepo("asm-bad-app");
    const pushedAssets = await push(PLAIN, assetRepo, "a", assets);
    // The app's code layer has a file without its parent directories.
    const broken = buildTestImage({ family: "docker", layers: [{ tar: tarBytes([{ name: "var/task/app.py", data: "x" }]), compression: "gzip" }] });
    await push(PLAIN, appRepo, "v1", broken);
    const err = await assemble(base({ app: `${PLAIN}/${appRepo}:v1`, assets: `${PLAIN}/${assetRepo}@${pushedAssets.digest}`, tag: "never" })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "E_LAMBDA_RULES", exitCode: 1 });
    expect((err as Error).message).toContain("[parent-directories]");
    expect((await fetch(`http://${PLAIN}/v2/${appRepo}/manifests/never`, { method: "HEAD" })).status).toBe(404);
  });
});

describe.skipIf(!plainUp || !tlsUp)("assets on another registry", () => {
  it("assets on the TLS registry, app on the plain one: streamed registry to registry, nothing mounted", async () => {
    const assets = assetImage();
    const assetRepo = uniqueRepo("asm-x-assets");
    const appRepo = uniqueRepo("asm-x-app");
    const creds = staticCredentials({ kind: "basic", username: TLS_USER, password: TLS_PASSWORD });
    const pushedAssets = await push(TLS, assetRepo, "a", assets, creds, tlsCa());
    await push(PLAIN, appRepo, "v1", appImage("oci"));
    const result = await assemble(
      base({
        app: `${PLAIN}/${appRepo}:v1`,
        assets: `${TLS}/${assetRepo}@${pushedAssets.digest}`,
        credentials: { resolve: async (host) => (host === TLS ? { kind: "basic", username: TLS_USER, password: TLS_PASSWORD } : undefined) },
        ...(tlsCa() ? { ca: tlsCa() as string } : {}),
      }),
    );
    expect(result.bytes.mounted).toBe(0);
    expect(result.layers.filter((l) => l.source === "assets").map((l) => l.action)).toEqual(["uploaded", "uploaded"]);
    for (const layer of assets.layers) expect((await pullBlob(PLAIN, appRepo, layer.digest)).equals(layer.bytes)).toBe(true);
  });
});

const ecr = mockClient(ECRClient);
beforeEach(() => ecr.reset());
afterAll(() => ecr.restore());

describe.skipIf(!tlsUp)("ECR: token from GetAuthorizationToken, BLOB_MOUNTING read from the account", () => {
  it("warns that blobs are copied when BLOB_MOUNTING is off, and assembles with the ECR token", async () => {
    ecr.on(GetAuthorizationTokenCommand).resolves({
      authorizationData: [
        {
          authorizationToken: Buffer.from(`${TLS_USER}:${TLS_PASSWORD}`).toString("base64"),
          proxyEndpoint: `https://${TLS}`,
          expiresAt: new Date(Date.now() + 3600_000),
        },
      ],
    });
    ecr.on(GetAccountSettingCommand).resolves({ name: "BLOB_MOUNTING", value: "DISABLED" });
    const credentials = registryCredentials({
      env: {},
      regionOf: (host) => (host === TLS ? "eu-west-1" : undefined),
      makeSession: async (region) => new EcrSession({ region }),
    });
    const assets = assetImage();
    const assetRepo = uniqueRepo("asm-ecr-assets");
    const appRepo = uniqueRepo("asm-ecr-app");
    const pushedAssets = await push(TLS, assetRepo, "a", assets, credentials, tlsCa());
    await push(TLS, appRepo, "v1", appImage("docker"), credentials, tlsCa());
    const events: MlpackEvent[] = [];
    const result = await assemble(
      base({
        app: `${TLS}/${appRepo}:v1`,
        assets: `${TLS}/${assetRepo}@${pushedAssets.digest}`,
        credentials,
        blobMounting: async (host) => (await credentials.ecr(host))?.blobMounting(),
        ...(tlsCa() ? { ca: tlsCa() as string } : {}),
        emit: (e) => events.push(e),
      }),
    );
    credentials.close();
    expect(result.reference).toBe(`${TLS}/${appRepo}@${result.digest}`);
    expect(ecr.commandCalls(GetAccountSettingCommand)[0]?.args[0].input).toEqual({ name: "BLOB_MOUNTING" });
    expect(ecr.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(1);
    expect(events).toContainEqual(expect.objectContaining({ type: "warning", message: expect.stringContaining("BLOB_MOUNTING") }));
    // distribution mounts anyway; a real ECR with the setting off would answer 202 (the test above streams then).
    expect(result.layers.filter((l) => l.source === "assets").every((l) => l.action === "mounted")).toBe(true);
  });
});
