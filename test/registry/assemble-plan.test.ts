import { describe, expect, it } from "vitest";
import { mergeEnv } from "../../src/assemble/env-merge.js";
import { type ImageConfig, type PlanImage, planAssembly } from "../../src/assemble/plan.js";
import { DOCKER, type ImageManifest, OCI } from "../../src/registry/media-types.js";
import { sha256 } from "../../src/registry/remote.js";
import { envSatisfies } from "../../src/util/path-lists.js";
import { checkAgainstLock } from "../../src/verify/lock-check.js";

/** Pure table tests for `assemble`'s plan: the ENV merge, media-type families, diff_ids, history, labels. */

describe("search-path variables after a merge", () => {
  it.each([
    ["NLTK_DATA", "/usr/share/nltk_data:/cache/nltk_data", "/cache/nltk_data", true],
    ["NLTK_DATA", "/usr/share/nltk_data", "/cache/nltk_data", false],
    ["HF_HOME", "/x:/cache/huggingface", "/cache/huggingface", false],
    ["PATH", "/a:/b:/c", "/c:/a", true],
  ])("envSatisfies(%s=%s, needs %s) = %s", (name, actual, expected, ok) => {
    expect(envSatisfies(name, actual, expected)).toBe(ok);
  });

  it("verify accepts the joined NLTK_DATA an assembled image carries", () => {
    const lock = {
      schemaVersion: 1 as const,
      runner: "local" as const,
      image: null,
      command: [],
      assetRoot: "/cache",
      assets: [{ id: "nltk", library: "nltk", source: "~/nltk_data", target: "nltk_data", env: { NLTK_DATA: "/cache/nltk_data" }, files: 1, bytes: 1, digest: `sha256:${"a".repeat(64)}` }],
      skipped: [],
    };
    expect(checkAgainstLock(lock, { NLTK_DATA: "/usr/share/nltk_data:/cache/nltk_data" }, {}).findings).toEqual([]);
    expect(checkAgainstLock(lock, { NLTK_DATA: "/usr/share/nltk_data" }, {}).findings).toEqual([
      expect.objectContaining({ kind: "wrong-env", variable: "NLTK_DATA" }),
    ]);
  });
});

describe("mergeEnv", () => {
  it.each([
    ["a new variable goes after the app's own", ["A=1"], { B: "2" }, ["A=1", "B=2"]],
    ["an equal value is kept in place", ["B=2", "A=1"], { B: "2" }, ["B=2", "A=1"]],
    ["an asset location replaces the app's value in place", ["HF_HOME=/x", "A=1"], { HF_HOME: "/cache/hf" }, ["HF_HOME=/cache/hf", "A=1"]],
    ["PATH-like lists are joined, the app's entries first", ["NLTK_DATA=/opt/n"], { NLTK_DATA: "/cache/nltk_data" }, ["NLTK_DATA=/opt/n:/cache/nltk_data"]],
    ["a joined list has no duplicates", ["PATH=/a:/b"], { PATH: "/b:/c" }, ["PATH=/a:/b:/c"]],
    ["a value with = signs survives", ["X=a=b"], { Y: "c=d" }, ["X=a=b", "Y=c=d"]],
  ] as const)("%s", (_name, app, add, expected) => {
    expect(mergeEnv(app, add).env).toEqual(expected);
  });

  it("always-on defaults fill only what the app left unset, after everything else", () => {
    const r = mergeEnv(["HOME=/var/task"], { NLTK_DATA: "/cache/nltk" }, { HOME: "/tmp", MPLCONFIGDIR: "/tmp/mpl" });
    expect(r.env).toEqual(["HOME=/var/task", "NLTK_DATA=/cache/nltk", "MPLCONFIGDIR=/tmp/mpl"]);
    expect(r.notes).toEqual([]);
  });

  it("names what it replaced", () => {
    const r = mergeEnv(["TORCH_HOME=/root/.cache/torch"], { TORCH_HOME: "/cache/torch" });
    expect(r.changes).toEqual([{ name: "TORCH_HOME", action: "replaced", value: "/cache/torch", was: "/root/.cache/torch" }]);
    expect(r.notes[0]).toContain("TORCH_HOME=/root/.cache/torch");
  });
});

const d = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;

function image(role: "app" | "assets", family: "oci" | "docker", layerTypes: string[], extra: Partial<ImageConfig> = {}): PlanImage {
  const T = family === "oci" ? OCI : DOCKER;
  const base = role === "app" ? 1 : 5;
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: T.manifest,
    config: { mediaType: T.config, digest: d(9), size: 10 },
    layers: layerTypes.map((mediaType, i) => ({
      mediaType,
      digest: d(base + i),
      size: 100 * (i + 1),
      ...(role === "assets" ? { annotations: { "org.opencontainers.image.title": `asset-${i}` } } : {}),
    })),
  };
  const config: ImageConfig = {
    architecture: "amd64",
    os: "linux",
    created: "2026-02-03T04:05:06Z",
    config: { Env: ["PATH=/usr/bin"], Cmd: ["app.handler"], Labels: { team: "ml" } },
    rootfs: { type: "layers", diff_ids: layerTypes.map((_, i) => d(base + 3 + i)) },
    history: layerTypes.map((_, i) => ({ created_by: `${role} step ${i}` })),
    ...extra,
  };
  return { role, name: `${role}-image`, digest: d(role === "app" ? 7 : 8), mediaType: T.manifest, manifest, config };
}

const plan = (app: PlanImage, assets: PlanImage) =>
  planAssembly({ app, assets, assetEnv: { NLTK_DATA: "/cache/nltk_data" }, defaultEnv: { HOME: "/tmp" }, labels: { "dev.mlpack.x": "y" } });

describe("planAssembly", () => {
  it("a Docker v2s2 app gets Docker gzip types for the OCI asset layers: one family, same digests", () => {
    const p = plan(image("app", "docker", [DOCKER.layerGzip]), image("assets", "oci", [OCI.layerGzip, OCI.layerGzip]));
    const m = JSON.parse(p.manifest.toString()) as ImageManifest;
    expect(m.mediaType).toBe(DOCKER.manifest);
    expect(m.config.mediaType).toBe(DOCKER.config);
    expect(m.layers.map((l) => l.mediaType)).toEqual([DOCKER.layerGzip, DOCKER.layerGzip, DOCKER.layerGzip]);
    expect(m.layers.map((l) => l.digest)).toEqual([d(1), d(5), d(6)]);
    // v2s2 descriptors carry no annotations, and the manifest none either.
    expect(m.layers.every((l) => l.annotations === undefined)).toBe(true);
    expect(m.annotations).toBeUndefined();
    expect(p.manifestDigest).toBe(sha256(p.manifest));
    expect(p.configDescriptor.digest).toBe(sha256(p.config));
  });

  it("an OCI app keeps OCI types and the asset titles, and names its base", () => {
    const p = plan(image("app", "oci", [OCI.layerGzip]), image("assets", "oci", [OCI.layerGzip, OCI.layerTar]));
    const m = JSON.parse(p.manifest.toString()) as ImageManifest;
    expect(m.mediaType).toBe(OCI.manifest);
    expect(m.layers.map((l) => l.mediaType)).toEqual([OCI.layerGzip, OCI.layerGzip, OCI.layerTar]);
    expect(m.layers[2]?.annotations).toEqual({ "org.opencontainers.image.title": "asset-1" });
    expect(m.annotations).toEqual({ "org.opencontainers.image.base.digest": d(7) });
  });

  it("refuses an uncompressed asset layer under a Docker manifest, naming the layer and the fix", () => {
    expect(() => plan(image("app", "docker", [DOCKER.layerGzip]), image("assets", "oci", [OCI.layerGzip, OCI.layerTar]))).toThrow(
      expect.objectContaining({
        code: "E_MEDIA_TYPE",
        exitCode: 2,
        message: expect.stringContaining("assets-image layer 2 (asset-1) is an uncompressed tar"),
        hint: expect.stringContaining("--compression auto"),
      }),
    );
  });

  it("refuses zstd under Docker and layers that are no layers", () => {
    expect(() => plan(image("app", "docker", [DOCKER.layerGzip]), image("assets", "oci", [OCI.layerZstd]))).toThrow(/zstd-compressed/);
    expect(() => plan(image("app", "oci", ["application/vnd.example.weird"]), image("assets", "oci", [OCI.layerGzip]))).toThrow(
      /not an image layer/,
    );
  });

  it("relabels an app's own mixed layers into its family, and says so", () => {
    const p = plan(image("app", "oci", [DOCKER.layerGzip]), image("assets", "oci", [OCI.layerGzip]));
    const m = JSON.parse(p.manifest.toString()) as ImageManifest;
    expect(m.layers.map((l) => l.mediaType)).toEqual([OCI.layerGzip, OCI.layerGzip]);
    expect(p.notes).toEqual([`app-image layer 1: media type ${DOCKER.layerGzip} → ${OCI.layerGzip}`]);
  });

  it("appends the asset diff_ids, one history entry per asset layer, the ENV and the labels; keeps the rest", () => {
    const p = plan(image("app", "docker", [DOCKER.layerGzip, DOCKER.layerGzip]), image("assets", "oci", [OCI.layerGzip]));
    const c = JSON.parse(p.config.toString()) as ImageConfig & { config: { Cmd: string[] } };
    expect(c.rootfs?.diff_ids).toEqual([d(4), d(5), d(8)]);
    expect(c.history?.map((h) => h.created_by)).toEqual(["app step 0", "app step 1", "mlpack assemble: assets step 0"]);
    expect(c.config.Env).toEqual(["PATH=/usr/bin", "NLTK_DATA=/cache/nltk_data", "HOME=/tmp"]);
    expect(c.config.Labels).toEqual({ team: "ml", "dev.mlpack.x": "y" });
    expect(c.config.Cmd).toEqual(["app.handler"]);
    expect(c.created).toBe("2026-02-03T04:05:06Z");
  });

  it("pads an app history that recorded fewer layers, so docker history pairs entries with the right layers", () => {
    const p = plan(image("app", "docker", [DOCKER.layerGzip, DOCKER.layerGzip], { history: [{ created_by: "only one" }, { created_by: "meta", empty_layer: true }] }), image("assets", "oci", [OCI.layerGzip]));
    const c = JSON.parse(p.config.toString()) as ImageConfig;
    const nonEmpty = (c.history ?? []).filter((h) => h.empty_layer !== true);
    expect(nonEmpty).toHaveLength(3);
    expect(nonEmpty[1]?.created_by).toMatch(/no history/);
  });

  it("is deterministic: the same inputs give the same manifest digest", () => {
    const a = plan(image("app", "oci", [OCI.layerGzip]), image("assets", "oci", [OCI.layerGzip]));
    const b = plan(image("app", "oci", [OCI.layerGzip]), image("assets", "oci", [OCI.layerGzip]));
    expect(b.manifestDigest).toBe(a.manifestDigest);
  });

  it("refuses an asset image whose config and manifest disagree on the layer count", () => {
    const assets = image("assets", "oci", [OCI.layerGzip]);
    assets.config.rootfs = { type: "layers", diff_ids: [] };
    expect(() => plan(image("app", "oci", [OCI.layerGzip]), assets)).toThrow(/1 layers but 0 diff_ids/);
  });
});
