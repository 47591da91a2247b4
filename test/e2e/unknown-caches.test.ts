import { randomBytes } from "node:crypto";
import { chmod, readFile } from "node:fs/promises";
import { execa } from "execa";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { runCli } from "../support/cli.js";
import { removeByLabel, TEST_LABEL_KEY } from "../support/docker.js";
import { testEnv } from "../support/env.js";
import { type TempProject, tempProject } from "../support/project.js";
import { describeReal } from "../support/real.js";
import { LIBS, printedIncludes } from "../discover/unknown-support.js";

/**
 * Issue 18 end to end: three libraries the catalog does not know (one under ~/.cache with no variable, one in
 * ~/.homelib whose code reads HOMELIB_HOME, one that writes into its cache on every hit) and a 3 KiB settings
 * folder. discover → the printed --include arguments → bundle --load → dockerfile → legacy build → verify;
 * verify names the write and suggests --writable; with it the final image passes. Nothing else is typed.
 */
// Several discover runs per test, each with a code scan: minutes on a busy 2-core machine.
vi.setConfig({ testTimeout: 600_000 });

const LABEL = `${TEST_LABEL_KEY}=e2e-unknown`;
const RUN = randomBytes(4).toString("hex");
const { pythonImage } = testEnv();
const LIB_IMAGE = `mlpack-test/e2e-unknown-libs:${RUN}`;
const STANDIN = `mlpack-test/e2e-unknown-standin:${RUN}`;

/** The handler module loads every cache at import, as a model server does; verify imports it. */
const APP = `import os
import xdglib, homelib, writerlib
from mlpack_fetch import fetch

MODELS = (
    xdglib.load(),
    homelib.load(),
    writerlib.load(),
    fetch(os.path.join(os.path.expanduser("~"), ".tiny-cache", "settings.json"), 3072, "t"),
)


def handler(event, context):
    return "served %d bytes" % sum(len(m) for m in MODELS)
`;
import { LAMBDA_ENTRYPOINT_STANDIN, legacyBuild } from "../support/legacy-build.js";

const ENTRYPOINT = LAMBDA_ENTRYPOINT_STANDIN;

const dockerBuild = (dir: string, file: string, tag: string) => legacyBuild(dir, file, tag, LABEL);

interface VerifyError {
  error?: { code: string; details?: { findings?: { kind: string; asset?: string; suggestion?: string }[] } };
}

await describeReal(["docker", "pythonImage"], "unknown caches end to end: discover's own suggestions give an image that passes verify", () => {
  let project: TempProject;
  const mlpack = (args: string[]) => runCli(args, { cwd: project.dir, timeoutMs: 300_000 });

  beforeAll(async () => {
    const libs = Object.fromEntries(Object.entries(LIBS).map(([k, v]) => [`images/libs/${k}`, v]));
    project = await tempProject({
      "app.py": APP,
      ...libs,
      "images/lambda-entrypoint.sh": ENTRYPOINT,
      // The discover image: the libraries installed in the python image's dist-packages.
      "images/Dockerfile.libs": `FROM ${pythonImage}\nCOPY libs/ /usr/local/lib/python3.11/dist-packages/\n`,
      // The Lambda stand-in on top: Lambda's ENV and entrypoint; a missing asset is an error, not a download.
      "images/Dockerfile.standin": [
        `FROM ${LIB_IMAGE}`,
        "ENV LAMBDA_TASK_ROOT=/var/task LAMBDA_RUNTIME_DIR=/var/runtime MLPACK_TEST_OFFLINE=1",
        "WORKDIR /var/task",
        "COPY lambda-entrypoint.sh /lambda-entrypoint.sh",
        'ENTRYPOINT ["/lambda-entrypoint.sh"]',
        "",
      ].join("\n"),
    });
    await chmod(project.path("images/lambda-entrypoint.sh"), 0o755);
    await dockerBuild(project.path("images"), "Dockerfile.libs", LIB_IMAGE);
    await dockerBuild(project.path("images"), "Dockerfile.standin", STANDIN);
  }, 300_000);

  afterAll(async () => {
    await removeByLabel(LABEL);
    for (const tag of ["plain", "writable"]) {
      await execa("docker", ["rmi", `mlpack-test/e2e-unknown-assets:${RUN}-${tag}`], { reject: false });
    }
    await project?.cleanup();
  });

  const discover = ["discover", "--image", LIB_IMAGE, "--network", "none"];

  /** bundle --load → dockerfile → build; returns the image tag and the Dockerfile. */
  async function build(tag: string): Promise<{ image: string; dockerfile: string }> {
    const bundle = await mlpack(["bundle", "--load", "--tag", `mlpack-test/e2e-unknown-assets:${RUN}-${tag}`]);
    expect(bundle.code, bundle.stderr).toBe(0);
    const file = `Dockerfile.${tag}`;
    const df = await mlpack(["dockerfile", "--base", STANDIN, "--handler", "app.handler", "--copy", "app.py", "-o", file]);
    expect(df.code, df.stderr).toBe(0);
    const image = `mlpack-test/e2e-unknown-final:${RUN}-${tag}`;
    await dockerBuild(project.dir, file, image);
    return { image, dockerfile: await readFile(project.path(file), "utf8") };
  }

  it("reports, packages with the printed arguments, fails verify on the cache write with a --writable hint, then passes", async () => {
    const report = await mlpack([...discover, "--", "python3", "app.py"]);
    expect(report.code, report.stderr).toBe(0);
    const suggested = printedIncludes(report.stdout);
    expect(suggested).toEqual(["~/.cache/xdglib", "~/.homelib=HOMELIB_HOME", "~/.tiny-cache", "~/.writerlib=WRITERLIB_HOME"]);
    const includes = suggested.flatMap((s) => ["--include", s]);

    const pasted = await mlpack([...discover, ...includes, "--", "python3", "app.py"]);
    expect(pasted.code, pasted.stderr).toBe(0);
    const plain = await build("plain");
    expect(plain.dockerfile).toContain("XDG_CACHE_HOME=/cache");
    expect(plain.dockerfile).toContain("HOMELIB_HOME=/cache/include/homelib");
    expect(plain.dockerfile).toMatch(/XDG-following library's cache/);
    const failed = await mlpack(["--json", "verify", plain.image]);
    expect(failed.code, failed.stdout).toBe(1);
    const findings = (JSON.parse(failed.stdout) as VerifyError).error?.details?.findings ?? [];
    const write = findings.find((f) => f.kind === "write" && f.asset === "include-writerlib");
    expect(write, JSON.stringify(findings)).toBeDefined();
    const suggestion = write?.suggestion ?? "";
    expect(suggestion).toBe("mlpack discover --writable include-writerlib");

    const writable = await mlpack([...discover, ...includes, ...suggestion.split(" ").slice(2), "--", "python3", "app.py"]);
    expect(writable.code, writable.stderr).toBe(0);
    const lock = JSON.parse(await readFile(project.path("mlpack.lock.json"), "utf8"));
    expect(lock.assets.find((a: { id: string }) => a.id === "include-writerlib")).toMatchObject({ writable: true });
    expect(lock.assets.find((a: { id: string }) => a.id === "include-tiny-cache")).toMatchObject({ home: ".tiny-cache" });
    const good = await build("writable");
    const ok = await mlpack(["verify", good.image]);
    expect(ok.code, `${ok.stdout}\n${ok.stderr}`).toBe(0);
    const served = await execa("docker", ["run", "--rm", "--network", "none", "--read-only", "--tmpfs", "/tmp", "--user", "993:993", good.image], {
      reject: false,
    });
    expect(served.stdout, served.stderr).toContain("served 10716 bytes");
  });
});
