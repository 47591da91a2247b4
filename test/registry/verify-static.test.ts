import { beforeAll, describe, expect, it } from "vitest";
import { RESULT_SCHEMAS } from "../../src/cli/results/index.js";
import { DOCKER, OCI } from "../../src/registry/media-types.js";
import { pushImage } from "../../src/registry/push.js";
import { staticCredentials } from "../../src/registry/types.js";
import { runCli } from "../support/cli.js";
import { useTempProject } from "../support/project.js";
import { writeTlsDockerConfig } from "../support/registry.js";
import { type TestImage, uniqueRepo, writeLayout } from "./support/image.js";
import { buildTestImage, type Entry, tarBytes, withParents } from "./support/layers.js";
import { PLAIN, plainRegistryUp, TLS, TLS_CA, TLS_PASSWORD, TLS_USER, tlsCa, tlsRegistryUp } from "./support/registries.js";

/**
 * `mlpack verify --static` end to end: images built to break each of Lambda's deploy-time rules are pushed to
 * the real registry, and each fails (exit 1, E_LAMBDA_RULES) naming its rule, the layer and the path.
 */

const plainUp = await plainRegistryUp();
const tlsUp = await tlsRegistryUp();

const code = (entries: Entry[]) => ({ tar: tarBytes(withParents(entries)), compression: "gzip" as const });
const good = () =>
  buildTestImage({
    family: "docker",
    layers: [code([{ name: "var/task/app.py", data: "print(1)" }]), code([{ name: "cache/nltk_data/a.txt", data: "a" }])],
  });

interface ErrorDoc {
  ok: false;
  error: { code: string; message: string; details: { findings: { rule: string; layer?: { index: number }; path?: string; message: string }[] } };
}

async function staticCheck(ref: string, env: Record<string, string> = {}) {
  const project = await useTempProject();
  return runCli(["verify", "--static", "--json", ref], { cwd: project.dir, env, timeoutMs: 120_000 });
}

async function pushed(image: TestImage, tag: string): Promise<string> {
  const repo = uniqueRepo(`static-${tag}`);
  await pushImage({ image, registry: PLAIN, repository: repo, tag, auth: staticCredentials(undefined) });
  return `${PLAIN}/${repo}:${tag}`;
}

describe.skipIf(!plainUp)("verify --static against images that break each rule", () => {
  const refs: Record<string, string> = {};
  beforeAll(async () => {
    refs.good = await pushed(good(), "good");
    refs.parents = await pushed(
      buildTestImage({ family: "oci", layers: [code([{ name: "bin/sh", data: "x" }]), { tar: tarBytes([{ name: "var/task/app.py", data: "x" }]), compression: "gzip" }] }),
      "parents",
    );
    refs.uncompressed = await pushed(
      buildTestImage({ family: "docker", layers: [code([{ name: "bin/sh", data: "x" }]), { tar: tarBytes(withParents([{ name: "cache/w.bin", data: "w" }])), compression: "none" }] }),
      "uncompressed",
    );
    refs.unreadable = await pushed(
      buildTestImage({ family: "oci", layers: [code([{ name: "cache/torch/hub/w.pth", data: "w", mode: 0o600 }])] }),
      "unreadable",
    );
    // An 11 GiB file declared in a tar header, with no content after it: the layer blob is a few hundred bytes.
    refs.huge = await pushed(
      buildTestImage({
        family: "oci",
        layers: [{ tar: tarBytes([{ name: "cache", type: "dir" }, { name: "cache/huge.safetensors", declaredSize: 11 * 1024 ** 3 }], false), compression: "gzip" }],
      }),
      "huge",
    );
    const single = good();
    const repo = uniqueRepo("static-index");
    await pushImage({ image: single, registry: PLAIN, repository: repo, tag: "one", auth: undefined });
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI.index,
      manifests: [
        { mediaType: DOCKER.manifest, digest: single.manifestDigest, size: single.manifest.length, platform: { os: "linux", architecture: "amd64" } },
        { mediaType: DOCKER.manifest, digest: single.manifestDigest, size: single.manifest.length, platform: { os: "unknown", architecture: "unknown" } },
      ],
    });
    const put = await fetch(`http://${PLAIN}/v2/${repo}/manifests/multi`, { method: "PUT", headers: { "content-type": OCI.index }, body: index });
    expect(put.status).toBe(201);
    refs.index = `${PLAIN}/${repo}:multi`;
  }, 120_000);

  it("a well-formed image passes: exit 0 and a --json document that matches its schema", async () => {
    const r = await staticCheck(refs.good as string);
    expect(r.code, r.stderr).toBe(0);
    const doc = RESULT_SCHEMAS["verify-static"].document.parse(JSON.parse(r.stdout)) as { layers: unknown[]; findings: unknown[]; platform: string };
    expect(doc.layers).toHaveLength(2);
    expect(doc.findings).toEqual([]);
    expect(doc.platform).toBe("linux/amd64");
    const human = await runCli(["verify", "--static", refs.good as string]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^PASS 127\.0\.0\.1:\d+\/.*: 2 layers, .* uncompressed, linux\/amd64, application\/vnd\.docker\.distribution\.manifest\.v2\+json\n$/);
  });

  it.each([
    ["parents", "parent-directories", 2, "var/task/app.py", /\/var\/task\/app\.py comes without an entry for its parent directory \/var/],
    ["uncompressed", "gzip-under-docker", 2, undefined, /layer 2 .* is an uncompressed tar under a Docker v2s2 manifest/],
    ["unreadable", "readable-files", 1, "cache/torch/hub/w.pth", /file \/cache\/torch\/hub\/w\.pth has mode 0600/],
    ["huge", "size-limit", 1, "cache/huge.safetensors", /declares \/cache\/huge\.safetensors of 11\.0 GiB/],
    ["index", "single-platform", undefined, undefined, /index .* of 2 manifests \(linux\/amd64, unknown\/unknown\)/],
  ])("%s: exit 1 naming the rule %s, the layer and the path", async (name, rule, layer, path, message) => {
    const r = await staticCheck(refs[name] as string);
    expect(r.code, r.stderr).toBe(1);
    const doc = JSON.parse(r.stdout) as ErrorDoc;
    expect(doc.error.code).toBe("E_LAMBDA_RULES");
    const finding = doc.error.details.findings.find((f) => f.rule === rule);
    expect(finding, JSON.stringify(doc.error.details.findings)).toBeDefined();
    expect(finding?.layer?.index).toBe(layer);
    expect(finding?.path).toBe(path);
    expect(finding?.message).toMatch(message);
    expect(doc.error.message).toContain(`[${rule}]`);
  });

  it("human output: the finding list on stderr, exit 1", async () => {
    const r = await runCli(["verify", "--static", refs.unreadable as string]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/FAIL .*\n {2}- \[readable-files\] layer 1 \(sha256:[0-9a-f]{64}\): file \/cache\/torch\/hub\/w\.pth has mode 0600/);
  });

  it("an OCI layout directory is checked without a registry", async () => {
    const project = await useTempProject();
    await writeLayout(project.path("layout"), good());
    const r = await runCli(["verify", "--static", "layout"], { cwd: project.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^PASS .*\/layout: 2 layers/);
  });

  it("a second check of the same layers in a project reads them from the cache", async () => {
    const project = await useTempProject({ ".mlpack/state.json": "{}" });
    const first = await runCli(["verify", "--static", "--json", refs.good as string], { cwd: project.dir });
    const second = await runCli(["verify", "--static", "--json", refs.good as string], { cwd: project.dir });
    const cached = (r: typeof first) => (JSON.parse(r.stdout) as { layers: { cached: boolean }[] }).layers.map((l) => l.cached);
    expect(cached(first)).toEqual([false, false]);
    expect(cached(second)).toEqual([true, true]);
  });
});

describe.skipIf(!tlsUp)("verify --static on the TLS registry with htpasswd", () => {
  it("reads the image with the docker config's credentials", async () => {
    const repo = uniqueRepo("static-tls");
    await pushImage({
      image: good(),
      registry: TLS,
      repository: repo,
      tag: "t",
      auth: staticCredentials({ kind: "basic", username: TLS_USER, password: TLS_PASSWORD }),
      ca: tlsCa(),
    });
    const cfg = await writeTlsDockerConfig();
    try {
      const r = await staticCheck(`${TLS}/${repo}:t`, { DOCKER_CONFIG: cfg.dir, NODE_EXTRA_CA_CERTS: TLS_CA });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, command: "verify-static", image: `${TLS}/${repo}:t` });
    } finally {
      await cfg.cleanup();
    }
  });
});
