import { randomBytes } from "node:crypto";
import { copyFile, writeFile } from "node:fs/promises";
import { execa } from "execa";
import { afterAll, beforeAll, expect, it } from "vitest";
import { RESULT_SCHEMAS } from "../../src/cli/results/index.js";
import { DOCKER, OCI } from "../../src/registry/media-types.js";
import { type FaultProxy, startFaultProxy } from "../registry/support/fault-proxy.js";
import { runCli } from "../support/cli.js";
import { dockerClient, removeByLabel, TEST_LABEL_KEY } from "../support/docker.js";
import { testEnv } from "../support/env.js";
import { type TempProject, tempProject } from "../support/project.js";
import { describeReal } from "../support/real.js";
import { type DockerConfigDir, tlsCertDir, writeTlsDockerConfig } from "../support/registry.js";

/**
 * `mlpack assemble` end to end on the real engine and both real registries: app images built with the legacy
 * builder from the busybox and python bases (pushed with `docker push`, or read from the engine and pushed
 * by mlpack itself), the asset image pushed by `mlpack push` to another repository. The results are read
 * back with skopeo, pulled and run with docker, and pass `mlpack verify`.
 */
const RUN = randomBytes(4).toString("hex");
const LABEL = `${TEST_LABEL_KEY}=e2e-assemble-${RUN}`;
const env = testEnv();
const PLAIN = env.registry;
const TLS = env.tlsRegistry;

const CHECK = `import json, os
import nltk
stop = nltk.data.find("corpora/stopwords")
with open(os.path.join(str(stop), "english")) as f:
    assert "the" in f.read().split()
repo = os.path.join(os.environ["HF_HUB_CACHE"], "models--mlpack--tiny-bert")
with open(os.path.join(repo, "refs", "main")) as f:
    sha = f.read()
with open(os.path.join(repo, "snapshots", sha, "config.json")) as f:
    assert json.load(f)["model_type"] == "bert"
assert os.path.getsize(os.path.join(os.environ["TORCH_HOME"], "hub", "checkpoints", "resnet-tiny-5c9a1f2e.pth")) == 65536
assert os.path.exists("/var/task/handler.py")
print("ALL ASSETS OK", os.environ["NLTK_DATA"], os.environ["APP_MARKER"])
`;
const SHELL_CHECK =
  'grep -qx the /cache/nltk_data/corpora/stopwords/english && test -f /var/task/handler.py && echo "OK $NLTK_DATA $APP_MARKER"';

const assetsJson = (stdout: string) => JSON.parse(stdout) as { reference: string };

interface AssembleDoc {
  reference: string;
  imageUri: string;
  digest: string;
  tag: string;
  mediaType: string;
  layers: { digest: string; size: number; source: string; action: string }[];
  bytes: { uploaded: number; mounted: number; skipped: number };
  manifestAction: string;
  check: { ok: boolean };
}

async function run(cmd: string, args: string[], opts: { env?: Record<string, string> } = {}) {
  const r = await execa(cmd, args, { reject: false, env: opts.env ?? {} });
  if (r.exitCode !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.exitCode}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

await describeReal(["docker", "pythonImage", "registry", "tlsRegistry"], "mlpack assemble end to end", () => {
  let project: TempProject;
  let cfg: DockerConfigDir;
  let proxy: FaultProxy;
  const pulled: string[] = [];
  let plainAssets = "";
  let tlsAssets = "";
  const tlsEnv = () => ({ DOCKER_CONFIG: cfg.dir, NODE_EXTRA_CA_CERTS: env.tlsCa });
  const mlpack = (args: string[], extra: Record<string, string> = {}) =>
    runCli(args, { cwd: project.dir, env: extra, timeoutMs: 600_000 });
  const assembleJson = async (args: string[], extra: Record<string, string> = {}) => {
    const r = await mlpack(["assemble", "--json", ...args], extra);
    expect(r.code, r.stderr).toBe(0);
    // The document is exactly what its published schema says.
    return RESULT_SCHEMAS.assemble.document.parse(JSON.parse(r.stdout)) as unknown as AssembleDoc;
  };
  const build = async (dockerfile: string, tag: string) => {
    const file = project.path(`Dockerfile.${tag.replace(/[^a-z0-9]/g, "_")}`);
    await writeFile(file, dockerfile);
    await run("docker", ["build", "--network", "none", "--label", LABEL, "-f", file, "-t", tag, project.dir], {
      env: { DOCKER_BUILDKIT: "0" },
    });
  };
  const dockerRun = (image: string, ...cmd: string[]) =>
    run("docker", ["run", "--rm", "--network", "none", "--label", LABEL, image, ...cmd]);
  const rawManifest = async (ref: string, tls = false) =>
    JSON.parse(
      await run("skopeo", [
        "inspect",
        "--raw",
        ...(tls ? ["--cert-dir", tlsCertDir(), "--creds", `${env.tlsUser}:${env.tlsPassword}`] : ["--tls-verify=false"]),
        `docker://${ref}`,
      ]),
    ) as { mediaType: string; config: { mediaType: string }; layers: { mediaType: string; digest: string }[] };

  beforeAll(async () => {
    project = await tempProject({ "check_assets.py": CHECK, "handler.py": "def handler(event, context):\n    return 1\n" });
    await copyFile(new URL("../../fixtures/demo-model/app.py", import.meta.url), project.path("app.py"));
    cfg = await writeTlsDockerConfig();
    const discover = await mlpack(["discover", "--runner", "local", "--", "python3", "app.py"]);
    expect(discover.code, discover.stderr).toBe(0);
    const bundle = await mlpack(["bundle"]);
    expect(bundle.code, bundle.stderr).toBe(0);
    const p1 = await mlpack(["push", "--json", "--registry", PLAIN, "--repository", `test/registry-e2e-assets-${RUN}`]);
    expect(p1.code, p1.stderr).toBe(0);
    plainAssets = assetsJson(p1.stdout).reference;
    const p2 = await mlpack(["push", "--json", "--registry", TLS, "--repository", `test/registry-e2e-assets-${RUN}`], tlsEnv());
    expect(p2.code, p2.stderr).toBe(0);
    tlsAssets = assetsJson(p2.stdout).reference;
    await build(
      [
        `FROM ${env.pythonImage}`,
        "WORKDIR /var/task",
        "COPY check_assets.py handler.py /var/task/",
        "ENV APP_MARKER=python-app NLTK_DATA=/usr/share/nltk_data",
        'CMD ["python3", "/var/task/check_assets.py"]',
        "",
      ].join("\n"),
      `${PLAIN}/test/registry-e2e-py-${RUN}:v1`,
    );
    await build(
      [`FROM ${env.busyboxImage}`, "COPY handler.py /var/task/handler.py", "ENV APP_MARKER=busybox-app", 'CMD ["sh"]', ""].join("\n"),
      `mlpack-test/registry-e2e-bb:${RUN}`,
    );
    proxy = await startFaultProxy(PLAIN);
  }, 900_000);

  afterAll(async () => {
    await proxy?.close();
    await removeByLabel(LABEL);
    for (const ref of pulled) await dockerClient().getImage(ref).remove({ force: true }).catch(() => undefined);
    await cfg?.cleanup();
    await project?.cleanup();
  });

  it("plain registry, python app pushed by docker (v2s2): asset layers mounted, not uploaded; the result runs and verifies", async () => {
    await run("docker", ["push", `${PLAIN}/test/registry-e2e-py-${RUN}:v1`]);
    const assetRef = plainAssets.replace(PLAIN, proxy.host);
    const before = proxy.log.length;
    const doc = await assembleJson(["--app", `${proxy.host}/test/registry-e2e-py-${RUN}:v1`, "--assets", assetRef]);
    expect(doc.reference).toMatch(new RegExp(`^${proxy.host}/test/registry-e2e-py-${RUN}@sha256:[0-9a-f]{64}$`));
    expect(doc.imageUri).toBe(doc.reference);
    expect(doc.mediaType).toBe(DOCKER.manifest);
    const assetLayers = doc.layers.filter((l) => l.source === "assets");
    expect(assetLayers.length).toBe(5);
    expect(assetLayers.every((l) => l.action === "mounted")).toBe(true);
    expect(doc.layers.filter((l) => l.source === "app").every((l) => l.action === "skipped")).toBe(true);
    const config = doc.layers.find((l) => l.source === "config");
    expect(doc.bytes.uploaded).toBe(config?.size);
    expect(doc.bytes.mounted).toBe(assetLayers.reduce((n, l) => n + l.size, 0));
    // The registry saw mounts for the asset blobs and no upload of them: one PATCH in all (the config).
    const requests = proxy.log.slice(before);
    for (const l of assetLayers) {
      expect(requests).toContainEqual(expect.objectContaining({ method: "POST", status: 201, url: expect.stringContaining(encodeURIComponent(l.digest)) }));
    }
    expect(requests.filter((r) => r.method === "PATCH")).toHaveLength(1);

    const ref = `${PLAIN}/test/registry-e2e-py-${RUN}@${doc.digest}`;
    const raw = await rawManifest(ref);
    expect(raw.mediaType).toBe(DOCKER.manifest);
    expect(raw.config.mediaType).toBe(DOCKER.config);
    expect(new Set(raw.layers.map((l) => l.mediaType))).toEqual(new Set([DOCKER.layerGzip]));
    const inspect = JSON.parse(await run("skopeo", ["inspect", "--tls-verify=false", `docker://${ref}`])) as { Env: string[] };
    expect(inspect.Env).toContain("NLTK_DATA=/usr/share/nltk_data:/cache/nltk_data");
    expect(inspect.Env).toContain("HF_HUB_OFFLINE=1");
    expect(inspect.Env).toContain("APP_MARKER=python-app");

    await run("docker", ["pull", ref]);
    pulled.push(ref);
    expect(await dockerRun(ref)).toContain("ALL ASSETS OK /usr/share/nltk_data:/cache/nltk_data python-app");
    const verified = await mlpack(["verify", ref]);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/^PASS .*\n[\s\S]*ALL ASSETS OK/);

    // Once more without --json: stdout is exactly the reference, and nothing is pushed.
    const again = await mlpack(["assemble", "--app", `${proxy.host}/test/registry-e2e-py-${RUN}:v1`, "--assets", assetRef]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe(`${doc.reference}\n`);
    expect(again.stderr).toMatch(/uploaded 0 B, mounted 0 B, already there .*; the tag already pointed at this digest/);
  }, 900_000);

  it("plain registry, busybox app converted to OCI by skopeo: the result is OCI throughout and runs", async () => {
    const v2 = `${PLAIN}/test/registry-e2e-bb-${RUN}:v1`;
    const oci = `${PLAIN}/test/registry-e2e-bb-oci-${RUN}:v1`;
    await run("docker", ["tag", `mlpack-test/registry-e2e-bb:${RUN}`, v2]);
    pulled.push(v2);
    await run("docker", ["push", v2]);
    await run("skopeo", ["copy", "--format", "oci", "--src-tls-verify=false", "--dest-tls-verify=false", `docker://${v2}`, `docker://${oci}`]);
    const doc = await assembleJson(["--app", oci, "--assets", plainAssets, "--tag", "assembled"]);
    expect(doc.tag).toBe("assembled");
    expect(doc.mediaType).toBe(OCI.manifest);
    expect(doc.layers.filter((l) => l.source === "assets").every((l) => l.action === "mounted")).toBe(true);
    const raw = await rawManifest(`${PLAIN}/test/registry-e2e-bb-oci-${RUN}:assembled`);
    expect(raw.mediaType).toBe(OCI.manifest);
    expect(raw.config.mediaType).toBe(OCI.config);
    expect(new Set(raw.layers.map((l) => l.mediaType))).toEqual(new Set([OCI.layerGzip]));
    const ref = `${PLAIN}/test/registry-e2e-bb-oci-${RUN}@${doc.digest}`;
    await run("docker", ["pull", ref]);
    pulled.push(ref);
    expect(await dockerRun(ref, "sh", "-c", SHELL_CHECK)).toBe("OK /cache/nltk_data busybox-app");
  }, 300_000);

  it("TLS registry, busybox app from the local engine (pushed once by mlpack, v2s2) and as OCI: assets mounted, results run", async () => {
    const repo = `test/registry-e2e-bb-tls-${RUN}`;
    const local = await assembleJson(
      ["--app", `mlpack-test/registry-e2e-bb:${RUN}`, "--repository", repo, "--assets", tlsAssets],
      tlsEnv(),
    );
    expect(local.reference.startsWith(`${TLS}/${repo}@sha256:`)).toBe(true);
    expect(local.mediaType).toBe(DOCKER.manifest);
    // The app's own layers went up (first time), the assets were mounted from their repository.
    expect(local.layers.filter((l) => l.source === "app").every((l) => l.action === "uploaded")).toBe(true);
    expect(local.layers.filter((l) => l.source === "assets").every((l) => l.action === "mounted")).toBe(true);
    const again = await assembleJson(["--app", `mlpack-test/registry-e2e-bb:${RUN}`, "--repository", repo, "--assets", tlsAssets, "--tag", "second"], tlsEnv());
    // Same layers gzip to the same bytes: nothing of the app is uploaded twice, same digest.
    expect(again.digest).toBe(local.digest);
    expect(again.bytes.uploaded).toBe(0);

    const raw = await rawManifest(`${TLS}/${repo}@${local.digest}`, true);
    expect(new Set([raw.mediaType, raw.config.mediaType, ...raw.layers.map((l) => l.mediaType)])).toEqual(
      new Set([DOCKER.manifest, DOCKER.config, DOCKER.layerGzip]),
    );
    const name = `mlpack-test/registry-e2e-tls-result:${RUN}`;
    await run("skopeo", ["copy", "--src-cert-dir", tlsCertDir(), "--src-creds", `${env.tlsUser}:${env.tlsPassword}`, `docker://${TLS}/${repo}@${local.digest}`, `docker-daemon:${name}`]);
    pulled.push(name);
    expect(await dockerRun(name, "sh", "-c", SHELL_CHECK)).toBe("OK /cache/nltk_data busybox-app");
    const verified = await mlpack(["verify", name, "--", "sh", "-c", SHELL_CHECK]);
    expect(verified.code, verified.stderr).toBe(0);

    const ociRepo = `test/registry-e2e-bb-tls-oci-${RUN}`;
    await run("skopeo", ["copy", "--format", "oci", "--dest-cert-dir", tlsCertDir(), "--dest-creds", `${env.tlsUser}:${env.tlsPassword}`, `docker-daemon:mlpack-test/registry-e2e-bb:${RUN}`, `docker://${TLS}/${ociRepo}:v1`]);
    const oci = await assembleJson(["--app", `${TLS}/${ociRepo}:v1`, "--assets", tlsAssets], tlsEnv());
    expect(oci.mediaType).toBe(OCI.manifest);
    expect(oci.layers.filter((l) => l.source === "assets").every((l) => l.action === "mounted")).toBe(true);
    const ociRaw = await rawManifest(`${TLS}/${ociRepo}@${oci.digest}`, true);
    expect(new Set([ociRaw.mediaType, ociRaw.config.mediaType, ...ociRaw.layers.map((l) => l.mediaType)])).toEqual(
      new Set([OCI.manifest, OCI.config, OCI.layerGzip]),
    );
    const ociName = `mlpack-test/registry-e2e-tls-oci-result:${RUN}`;
    await run("skopeo", ["copy", "--src-cert-dir", tlsCertDir(), "--src-creds", `${env.tlsUser}:${env.tlsPassword}`, `docker://${TLS}/${ociRepo}@${oci.digest}`, `docker-daemon:${ociName}`]);
    pulled.push(ociName);
    expect(await dockerRun(ociName, "sh", "-c", SHELL_CHECK)).toBe("OK /cache/nltk_data busybox-app");
  }, 300_000);
});
