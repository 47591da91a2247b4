import { randomBytes } from "node:crypto";
import { chmod, writeFile } from "node:fs/promises";
import { execa } from "execa";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Lock, type LockAsset, serializeLock } from "../../src/lock/lock.js";
import { digestTree } from "../../src/lock/tree-digest.js";
import { runCli } from "../support/cli.js";
import { removeByLabel, TEST_LABEL_KEY } from "../support/docker.js";
import { testEnv } from "../support/env.js";
import { type TempProject, tempProject } from "../support/project.js";
import { describeReal } from "../support/real.js";

/**
 * Writable and HOME assets on the real engine: a library that writes into its cache even on a hit (a
 * writability probe and a scratch folder next to the model) and one that only looks under ~/.spacy-lite.
 * lock → bundle --load → dockerfile → legacy build → verify, with and without `writable`.
 */
const LABEL = `${TEST_LABEL_KEY}=writable-real`;
const RUN = randomBytes(4).toString("hex");
const { pythonImage } = testEnv();
const STANDIN = `mlpack-test/writable-standin:${RUN}`;

const SENTLIB = `import os

def load():
    home = os.environ.get("SENTIMENT_HOME") or os.path.expanduser("~/.sentiment")
    with open(os.path.join(home, "model.txt")) as f:
        data = f.read().strip()
    # What some libraries do on a cache hit: probe that the folder is writable, unpack next to the model.
    with open(os.path.join(home, ".probe"), "w") as f:
        f.write("ok")
    os.makedirs(os.path.join(home, "vocab", "unpacked"), exist_ok=True)
    with open(os.path.join(home, "vocab", "words.txt")) as f:
        return data + "+" + f.read().strip()
`;

const SPACYLITE = `import os

def load():
    with open(os.path.expanduser("~/.spacy-lite/model.txt")) as f:
        return f.read().strip()
`;

const APP = `import sentlib, spacylite

MODELS = (sentlib.load(), spacylite.load())

def handler(event, context):
    return "served " + "/".join(MODELS)
`;

/** Stand-in for the Lambda base's entrypoint: exactly one argument, the handler, which it calls. */
const ENTRYPOINT = `#!/bin/sh
[ $# -eq 1 ] || { echo "lambda-entrypoint: expected exactly one argument, got $#: $*" >&2; exit 64; }
exec python3 -c 'import importlib, sys; sys.path.insert(0, "/var/task"); m, f = sys.argv[1].rsplit(".", 1); print(getattr(importlib.import_module(m), f)({}, None))' "$1"
`;

async function dockerBuild(dir: string, file: string, tag: string): Promise<void> {
  const r = await execa("docker", ["build", "--network", "none", "--label", LABEL, "-f", file, "-t", tag, "."], {
    cwd: dir,
    env: { DOCKER_BUILDKIT: "0" },
    reject: false,
  });
  if (r.exitCode !== 0) throw new Error(`docker build -f ${file} failed:\n${r.stdout}\n${r.stderr}`);
}

interface VerifyDoc {
  ok?: boolean;
  outputTail?: string;
  error?: { code: string; message: string; details: { findings: { kind: string; asset?: string; suggestion?: string }[] } };
}

await describeReal(["docker", "pythonImage"], "writable views and HOME links on the real engine", () => {
  let project: TempProject;
  const mlpack = (args: string[]) => runCli(args, { cwd: project.dir, timeoutMs: 300_000 });

  /** Writes the lock for the staged trees (writable or not), bundles and loads it, renders `file`. */
  async function prepare(writable: boolean, dockerfileArgs: string[]): Promise<void> {
    const assets: Omit<LockAsset, "source" | "files" | "bytes" | "digest">[] = [
      { id: "include-spacy-lite", library: "include", target: "include/spacy-lite", env: {}, home: ".spacy-lite" },
      {
        id: "sentiment",
        library: "sentiment",
        target: "sentiment",
        env: { SENTIMENT_HOME: "/cache/sentiment" },
        ...(writable ? { writable: true } : {}),
      },
    ];
    const lock: Lock = {
      schemaVersion: 1,
      runner: "docker",
      image: pythonImage,
      command: ["python3", "app.py"],
      assetRoot: "/cache",
      assets: await Promise.all(
        assets.map(async (a) => {
          const tree = await digestTree(project.path(".mlpack", "assets", a.id));
          return { ...a, source: `/root/.${a.id}`, files: tree.files, bytes: tree.bytes, digest: tree.digest };
        }),
      ),
      skipped: [],
    };
    await writeFile(project.path("mlpack.lock.json"), serializeLock(lock));
    const bundle = await mlpack(["bundle", "--load", "--tag", `mlpack-test/writable-assets:${RUN}-${writable}`]);
    expect(bundle.code, bundle.stderr).toBe(0);
    const df = await mlpack(["dockerfile", ...dockerfileArgs]);
    expect(df.code, df.stderr).toBe(0);
  }

  beforeAll(async () => {
    project = await tempProject({
      "sentlib.py": SENTLIB,
      "spacylite.py": SPACYLITE,
      "app.py": APP,
      ".mlpack/assets/sentiment/model.txt": "sentiment-v1\n",
      ".mlpack/assets/sentiment/vocab/words.txt": "good bad\n",
      ".mlpack/assets/include-spacy-lite/model.txt": "spacy-lite-v1\n",
      "standin/lambda-entrypoint.sh": ENTRYPOINT,
      "standin/Dockerfile": [
        `FROM ${pythonImage}`,
        "ENV LAMBDA_TASK_ROOT=/var/task LAMBDA_RUNTIME_DIR=/var/runtime",
        "WORKDIR /var/task",
        "COPY lambda-entrypoint.sh /lambda-entrypoint.sh",
        'ENTRYPOINT ["/lambda-entrypoint.sh"]',
        "",
      ].join("\n"),
    });
    await chmod(project.path("standin/lambda-entrypoint.sh"), 0o755);
    await dockerBuild(project.path("standin"), "Dockerfile", STANDIN);
  });

  afterAll(async () => {
    await removeByLabel(LABEL);
    for (const w of ["true", "false"]) {
      await execa("docker", ["rmi", `mlpack-test/writable-assets:${RUN}-${w}`], { reject: false });
    }
    await project?.cleanup();
  });

  const lambdaArgs = ["--base", STANDIN, "--handler", "app.handler", "--copy", "app.py", "--copy", "sentlib.py", "--copy", "spacylite.py"];

  it("fails verify without the writable view, naming the asset and suggesting --writable", async () => {
    await prepare(false, [...lambdaArgs, "-o", "Dockerfile.plain"]);
    await dockerBuild(project.dir, "Dockerfile.plain", `mlpack-test/writable-plain:${RUN}`);
    const v = await mlpack(["--json", "verify", `mlpack-test/writable-plain:${RUN}`]);
    expect(v.code, v.stdout).toBe(1);
    const doc = JSON.parse(v.stdout) as VerifyDoc;
    expect(doc.error?.details.findings).toContainEqual(
      expect.objectContaining({ kind: "write", asset: "sentiment", suggestion: "mlpack discover --writable sentiment" }),
    );
    expect(doc.error?.details.findings.map((f) => f.kind)).not.toContain("missing-path");
  });

  it("passes with the wrapper: the view is writable, HOME links find the asset, Lambda's entrypoint gets one argument", async () => {
    await prepare(true, [...lambdaArgs, "-o", "Dockerfile"]);
    await dockerBuild(project.dir, "Dockerfile", `mlpack-test/writable-wrapped:${RUN}`);
    const image = `mlpack-test/writable-wrapped:${RUN}`;
    const imported = await mlpack(["verify", image]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toMatch(/^PASS .*import of handler app\.handler/);

    const where = await mlpack([
      "--json",
      "verify",
      image,
      "--",
      "python3",
      "-c",
      "import os; print(os.environ['HOME'], os.path.realpath(os.path.expanduser('~/.spacy-lite')), os.environ['SENTIMENT_HOME'], os.path.realpath(os.environ['SENTIMENT_HOME'] + '/model.txt'))",
    ]);
    expect(where.code, where.stdout).toBe(0);
    expect((JSON.parse(where.stdout) as VerifyDoc).outputTail).toBe(
      "/tmp /cache/include/spacy-lite /tmp/mlpack-writable/sentiment /cache/sentiment/model.txt",
    );

    // The image's own ENTRYPOINT + CMD, as Lambda starts it: the wrapper, then /lambda-entrypoint.sh app.handler.
    const run = await execa(
      "docker",
      ["run", "--rm", "--read-only", "--network", "none", "--tmpfs", "/tmp:rw,mode=1777", "-u", "993:993", "--label", LABEL, image],
      { reject: false },
    );
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe("served sentiment-v1+good bad/spacy-lite-v1");
  });

  it("generic target: with HOME unwritable (uid 993 has none), the wrapper moves HOME to /tmp/mlpack-home", async () => {
    await prepare(true, [
      "--target",
      "generic",
      "--base",
      pythonImage,
      "--copy",
      "app.py",
      "--copy",
      "sentlib.py",
      "--copy",
      "spacylite.py",
      "--cmd",
      "python3 -c 'import app; print(app.handler({}, None))'",
      "-o",
      "Dockerfile.generic",
    ]);
    await dockerBuild(project.dir, "Dockerfile.generic", `mlpack-test/writable-generic:${RUN}`);
    const v = await mlpack(["--json", "verify", `mlpack-test/writable-generic:${RUN}`]);
    expect(v.code, v.stdout).toBe(0);
    const doc = JSON.parse(v.stdout) as VerifyDoc;
    expect(doc.outputTail).toContain("served sentiment-v1+good bad/spacy-lite-v1");
    expect(doc.outputTail).toContain("using HOME=/tmp/mlpack-home");
  });
});

