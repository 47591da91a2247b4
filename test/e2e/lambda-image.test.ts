import { randomBytes } from "node:crypto";
import { copyFile, cp, readFile, writeFile } from "node:fs/promises";
import { execa } from "execa";
import { afterAll, beforeAll, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { dockerClient, removeByLabel, TEST_LABEL_KEY } from "../support/docker.js";
import { testEnv } from "../support/env.js";
import { type TempProject, tempProject } from "../support/project.js";
import { describeReal } from "../support/real.js";

/**
 * discover → bundle --load → dockerfile (generic and lambda) → legacy `docker build` → verify, on the real
 * engine with the python3 + nltk image, never pulling. The Lambda base is a local stand-in built FROM that
 * image with Lambda's ENV, WORKDIR and an entrypoint script.
 */
const LABEL = `${TEST_LABEL_KEY}=e2e-lambda-image`;
const RUN = randomBytes(4).toString("hex");
const { pythonImage } = testEnv();
const STANDIN = `mlpack-test/lambda-standin:${RUN}`;
const ASSETS_TAG = `mlpack-test/e2e-assets:${RUN}`;

const HANDLER = `import os

def handler(event, context):
    return {"nltk": os.environ.get("NLTK_DATA")}
`;

/** Reads every asset through the variables the Dockerfile set, the way the libraries resolve them. */
const CHECK = `import json, os, sys
import nltk
hub = os.environ["HF_HUB_CACHE"]
repo = os.path.join(hub, "models--mlpack--tiny-bert")
with open(os.path.join(repo, "refs", "main")) as f:
    sha = f.read()
cfg = os.path.join(repo, "snapshots", sha, "config.json")
assert os.path.islink(cfg), cfg
assert os.path.realpath(cfg).startswith(os.path.join(repo, "blobs") + "/"), os.path.realpath(cfg)
with open(cfg) as f:
    assert json.load(f)["model_type"] == "bert"
stop = nltk.data.find("corpora/stopwords")
with open(os.path.join(str(stop), "english")) as f:
    assert "the" in f.read().split()
with open(os.path.join(os.environ["GENSIM_DATA_DIR"], "information.json")) as f:
    assert "glove-tiny" in json.load(f)["models"]
ck = os.path.join(os.environ["TORCH_HOME"], "hub", "checkpoints", "resnet-tiny-5c9a1f2e.pth")
assert os.path.getsize(ck) == 65536, ck
home = os.path.expanduser("~")
print("ALL ASSETS OK", "home=%s" % home, "home-writable=%s" % os.access(home, os.W_OK), "uid=%d" % os.getuid())
`;

const ENTRYPOINT = `#!/bin/sh
# Stand-in for the Lambda base image's entrypoint (the real one starts the runtime interface client).
exec python3 -c 'import sys; print("would serve", sys.argv[1])' "$@"
`;

async function dockerBuild(dir: string, file: string, tag: string): Promise<void> {
  const r = await execa(
    "docker",
    ["build", "--network", "none", "--label", LABEL, "-f", file, "-t", tag, "."],
    {
      cwd: dir,
      env: { DOCKER_BUILDKIT: "0" },
      reject: false,
    },
  );
  if (r.exitCode !== 0) throw new Error(`docker build -f ${file} failed:\n${r.stdout}\n${r.stderr}`);
}

interface VerifyJson {
  ok?: boolean;
  outputTail?: string;
  commandSource?: string;
  error?: {
    code: string;
    message: string;
    details: { findings: { kind: string; variable?: string; path?: string }[] };
  };
}

await describeReal(["docker", "pythonImage"], "Lambda image end to end", () => {
  let project: TempProject;
  const mlpack = (args: string[]) => runCli(args, { cwd: project.dir, timeoutMs: 300_000 });

  beforeAll(async () => {
    project = await tempProject({
      "handler.py": HANDLER,
      "check_assets.py": CHECK,
      "standin/lambda-entrypoint.sh": ENTRYPOINT,
    });
    await copyFile(new URL("../../fixtures/demo-model/app.py", import.meta.url), project.path("app.py"));
    await writeFile(
      project.path("standin/Dockerfile"),
      [
        `FROM ${pythonImage}`,
        "ENV LAMBDA_TASK_ROOT=/var/task LAMBDA_RUNTIME_DIR=/var/runtime",
        "WORKDIR /var/task",
        "COPY lambda-entrypoint.sh /lambda-entrypoint.sh",
        'ENTRYPOINT ["/lambda-entrypoint.sh"]',
        "",
      ].join("\n"),
    );
    await execa("chmod", ["0755", project.path("standin/lambda-entrypoint.sh")]);
    await dockerBuild(project.path("standin"), "Dockerfile", STANDIN);
    const discover = await mlpack([
      "discover",
      "--image",
      pythonImage,
      "--network",
      "none",
      "--",
      "python3",
      "app.py",
    ]);
    expect(discover.code, discover.stderr).toBe(0);
    const bundle = await mlpack(["bundle", "--load", "--tag", ASSETS_TAG]);
    expect(bundle.code, bundle.stderr).toBe(0);
  });

  afterAll(async () => {
    await removeByLabel(LABEL);
    await dockerClient()
      .getImage(ASSETS_TAG)
      .remove()
      .catch(() => undefined);
    await project?.cleanup();
  });

  it("generic target on the python image: builds with the legacy builder, passes verify with HOME unwritable", async () => {
    const r = await mlpack([
      "--json",
      "dockerfile",
      "--target",
      "generic",
      "--base",
      pythonImage,
      "--copy",
      "check_assets.py",
      "--cmd",
      "python3 check_assets.py",
      "-o",
      "Dockerfile.generic",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      env: Record<string, string>;
      assetImage: { from: string; pin: string };
    };
    const state = JSON.parse(await readFile(project.path(".mlpack/state.json"), "utf8")) as {
      load: { imageId: string };
    };
    expect(doc.assetImage).toMatchObject({ pin: "image-id", from: state.load.imageId });
    expect(Object.keys(doc.env).sort()).toEqual([
      "GENSIM_DATA_DIR",
      "HF_DATASETS_OFFLINE",
      "HF_HOME",
      "HF_HUB_CACHE",
      "HF_HUB_DISABLE_TELEMETRY",
      "HF_HUB_OFFLINE",
      "HF_XET_CACHE",
      "NLTK_DATA",
      "TORCH_HOME",
      "TRANSFORMERS_OFFLINE",
    ]);
    // An unpinned --asset-image is resolved through the engine: a loaded image has no repo digest, so its ID.
    const byTag = await mlpack([
      "--json",
      "dockerfile",
      "--target",
      "generic",
      "--base",
      pythonImage,
      "--asset-image",
      ASSETS_TAG,
    ]);
    expect(byTag.code, byTag.stderr).toBe(0);
    expect(JSON.parse(byTag.stdout)).toMatchObject({
      assetImage: { pin: "image-id", from: state.load.imageId },
    });
    await dockerBuild(project.dir, "Dockerfile.generic", `mlpack-test/e2e-generic:${RUN}`);
    const v = await mlpack(["--json", "verify", `mlpack-test/e2e-generic:${RUN}`]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    const result = JSON.parse(v.stdout) as VerifyJson;
    expect(result.commandSource).toBe("image");
    expect(result.outputTail).toMatch(/ALL ASSETS OK home=\/ home-writable=False uid=993/);
  });

  it("lambda target on the stand-in base: the handler imports and every asset reads offline", async () => {
    const r = await mlpack([
      "dockerfile",
      "--base",
      STANDIN,
      "--handler",
      "handler.handler",
      "--copy",
      "handler.py",
      "--copy",
      "check_assets.py",
      "-o",
      "Dockerfile",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const text = await readFile(project.path("Dockerfile"), "utf8");
    expect(text).toMatch(/^# Generated by mlpack .* from mlpack\.lock\.json sha256:[0-9a-f]{64}\.\n/);
    expect(text).toMatch(/^FROM sha256:[0-9a-f]{64} AS mlpack-assets$/m);
    await dockerBuild(project.dir, "Dockerfile", `mlpack-test/e2e-lambda:${RUN}`);

    const imported = await mlpack(["verify", `mlpack-test/e2e-lambda:${RUN}`]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toMatch(/^PASS .*import of handler handler\.handler/);

    const assets = await mlpack([
      "verify",
      `mlpack-test/e2e-lambda:${RUN}`,
      "--",
      "python3",
      "/var/task/check_assets.py",
    ]);
    expect(assets.code, assets.stderr).toBe(0);
    expect(assets.stdout).toMatch(/ALL ASSETS OK home=\/tmp home-writable=True uid=993/);
  });

  it("fails naming the variable when NLTK_DATA points elsewhere, and the path when an asset COPY is missing", async () => {
    const good = await readFile(project.path("Dockerfile"), "utf8");
    await writeFile(
      project.path("Dockerfile.wrong-env"),
      good.replace("NLTK_DATA=/cache/nltk_data", "NLTK_DATA=/opt/nltk_data"),
    );
    await writeFile(
      project.path("Dockerfile.no-copy"),
      good.replace("COPY --from=mlpack-assets /cache/nltk_data /cache/nltk_data\n", ""),
    );
    expect(good).not.toBe(await readFile(project.path("Dockerfile.no-copy"), "utf8"));
    await dockerBuild(project.dir, "Dockerfile.wrong-env", `mlpack-test/e2e-wrong-env:${RUN}`);
    await dockerBuild(project.dir, "Dockerfile.no-copy", `mlpack-test/e2e-no-copy:${RUN}`);
    const check = ["--", "python3", "/var/task/check_assets.py"];

    const wrong = await mlpack(["--json", "verify", `mlpack-test/e2e-wrong-env:${RUN}`, ...check]);
    expect(wrong.code).toBe(1);
    const wrongDoc = JSON.parse(wrong.stdout) as VerifyJson;
    expect(wrongDoc.error?.details.findings).toContainEqual(
      expect.objectContaining({ kind: "wrong-env", variable: "NLTK_DATA" }),
    );
    expect(wrongDoc.error?.message).toContain(
      "NLTK_DATA=/opt/nltk_data in the image, but asset nltk needs NLTK_DATA=/cache/nltk_data",
    );

    const missing = await mlpack(["verify", `mlpack-test/e2e-no-copy:${RUN}`, ...check]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("[missing-asset] /cache/nltk_data is not in the image");
    expect(missing.stderr).toContain("Resource stopwords not found");
  });

  it("--asset-image naming an image of another lock is allowed, with a warning naming both locks", async () => {
    const other = await tempProject();
    try {
      await cp(project.dir, other.dir, { recursive: true });
      const lock = JSON.parse(await readFile(other.path("mlpack.lock.json"), "utf8")) as { skipped: unknown[] };
      lock.skipped.push({ path: "/root/.cache/extra", reason: "noise" });
      await writeFile(other.path("mlpack.lock.json"), `${JSON.stringify(lock, null, 2)}\n`);
      const r = await runCli(
        ["--json", "dockerfile", "--target", "generic", "--base", pythonImage, "--asset-image", ASSETS_TAG],
        { cwd: other.dir },
      );
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout) as { warnings: string[]; assetImage: { source: string } };
      expect(doc.assetImage.source).toBe("flag");
      expect(doc.warnings).toContainEqual(expect.stringContaining("was built from another mlpack.lock.json"));
    } finally {
      await other.cleanup();
    }
  });

  it("the lambda target on a base that is not a Lambda image warns, and copies the code to /var/task literally", async () => {
    const r = await mlpack(["--json", "dockerfile", "--base", pythonImage, "--copy", "handler.py", "--handler", "handler.handler"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { dockerfile: string; warnings: string[] };
    expect(doc.warnings).toContainEqual(expect.stringContaining("sets no LAMBDA_TASK_ROOT, so it is not an AWS Lambda base image"));
    expect(doc.dockerfile).toContain("COPY handler.py /var/task/handler.py");
    expect(doc.dockerfile).not.toContain("${LAMBDA_TASK_ROOT}");
    const standin = await mlpack(["--json", "dockerfile", "--base", STANDIN, "--copy", "handler.py", "--handler", "handler.handler"]);
    expect((JSON.parse(standin.stdout) as { warnings: string[] }).warnings.join("\n")).not.toContain("LAMBDA_TASK_ROOT");
  });
});
