import { spawn } from "node:child_process";
import { cp, lstat, readFile, readlink } from "node:fs/promises";
import { join } from "node:path";
import { expect, it } from "vitest";
import { CLI_BIN, runCli } from "../support/cli.js";
import { managedContainers } from "../support/docker.js";
import { testEnv } from "../support/env.js";
import { useTempProject } from "../support/project.js";
import { describeReal } from "../support/real.js";

const FIXTURE = new URL("../../fixtures/demo-model/", import.meta.url).pathname;
const TINY_BERT = "huggingface/hub/models--mlpack--tiny-bert";
const COMMIT = "3f1c2e0d9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e";

async function fixtureProject() {
  const project = await useTempProject();
  await cp(FIXTURE, project.dir, { recursive: true });
  return project;
}

/**
 * mlpack containers created by this test: other test files run in parallel and create their own, so each test
 * passes a unique marker with --env and looks only for containers carrying it.
 */

const newMarker = () => `m${Date.now()}${Math.random().toString(16).slice(2)}`;

await describeReal(["pythonImage"], "discover with the docker runner (fixture model)", () => {
  it("finds exactly the fixture's caches, stages them with symlinks, skips noise and secrets", async () => {
    const project = await fixtureProject();
    const marker = newMarker();
    const r = await runCli(
      [
        "discover",
        "--json",
        "--image",
        testEnv().pythonImage,
        "--network",
        "none",
        "--env",
        `MLPACK_TEST_MARKER=${marker}`,
        "--",
        "python3",
        "app.py",
      ],
      {
        cwd: project.dir,
      },
    );
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    const lock = JSON.parse(await readFile(project.path("mlpack.lock.json"), "utf8"));
    expect(lock.assets.map((a: { id: string }) => a.id)).toEqual(["gensim", "huggingface", "nltk", "torch"]);
    expect(lock).toMatchObject({
      schemaVersion: 1,
      runner: "docker",
      image: testEnv().pythonImage,
      assetRoot: "/cache",
      command: ["python3", "app.py"],
    });
    const byId = Object.fromEntries(lock.assets.map((a: { id: string }) => [a.id, a]));
    expect(byId.huggingface).toMatchObject({
      source: "/root/.cache/huggingface",
      target: "huggingface",
      files: 12,
    });
    expect(byId.huggingface.env).toMatchObject({
      HF_HOME: "/cache/huggingface",
      HF_HUB_CACHE: "/cache/huggingface/hub",
      HF_HUB_OFFLINE: "1",
    });
    expect(byId.nltk).toMatchObject({
      source: "/root/nltk_data",
      target: "nltk_data",
      env: { NLTK_DATA: "/cache/nltk_data" },
      files: 2,
    });
    expect(byId.gensim).toMatchObject({
      target: "gensim-data",
      env: { GENSIM_DATA_DIR: "/cache/gensim-data" },
    });
    expect(byId.torch).toMatchObject({ target: "torch", env: { TORCH_HOME: "/cache/torch" }, bytes: 65536 });
    for (const a of lock.assets) expect(a.digest).toMatch(/^sha256:[0-9a-f]{64}$/);

    // HF layout survives staging: relative symlinks into blobs/, refs/main byte for byte.
    const staged = project.path(".mlpack", "assets");
    const link = await readlink(join(staged, TINY_BERT, "snapshots", COMMIT, "config.json"));
    expect(link).toMatch(/^\.\.\/\.\.\/blobs\/[0-9a-f]{64}$/);
    expect(await readFile(join(staged, TINY_BERT, "snapshots", COMMIT, "config.json"), "utf8")).toContain(
      '"model_type": "bert"',
    );
    expect(await readFile(join(staged, TINY_BERT, "refs", "main"), "utf8")).toBe(COMMIT);
    expect((await lstat(join(staged, TINY_BERT, ".no_exist", COMMIT, "tokenizer.json"))).isFile()).toBe(true);
    // Noise and the token are not staged; they are reported.
    await expect(lstat(join(staged, "huggingface", "token"))).rejects.toThrow();
    await expect(lstat(join(staged, "huggingface", "hub", ".locks"))).rejects.toThrow();
    await expect(lstat(join(staged, "huggingface", "xet"))).rejects.toThrow();
    expect(lock.skipped).toEqual(
      expect.arrayContaining([
        { path: "/root/.cache/huggingface/token", reason: expect.stringMatching(/^secret/) },
        { path: "/root/.cache/pip", reason: expect.stringMatching(/^noise/) },
      ]),
    );
    expect(doc.secrets).toEqual(["/root/.cache/huggingface/token"]);
    expect(doc.unclassified).toEqual([
      {
        path: "/root/.mystery-models",
        kind: "folder",
        files: 1,
        bytes: 2 * 1024 * 1024,
        include: "~/.mystery-models",
        relocation: { via: "home" },
      },
    ]);
    expect(r.stderr).toContain("not packaging a secret: /root/.cache/huggingface/token");
    expect(r.stderr).not.toContain("hf_fixtureSecretTokenDoNotShip");
    expect(await managedContainers(marker)).toEqual([]);

    // The local runner stages byte-identical trees: same per-asset digests.
    const local = await fixtureProject();
    const l = await runCli(["discover", "--runner", "local", "--", "python3", "app.py"], { cwd: local.dir });
    expect(l.code, l.stderr).toBe(0);
    const localLock = JSON.parse(await readFile(local.path("mlpack.lock.json"), "utf8"));
    expect(localLock.assets.map((a: { digest: string }) => a.digest)).toEqual(
      lock.assets.map((a: { digest: string }) => a.digest),
    );
    expect(localLock.assets.find((a: { id: string }) => a.id === "huggingface").source).toBe(
      "~/.cache/huggingface",
    );
  });

  it("a failing model command is exit 4 with its output tail; nothing staged, container removed", async () => {
    const project = await fixtureProject();
    const marker = newMarker();
    const r = await runCli(
      [
        "discover",
        "--image",
        testEnv().pythonImage,
        "--network",
        "none",
        "--env",
        `MLPACK_TEST_MARKER=${marker}`,
        "--env",
        "MLPACK_FIXTURE_EXIT=3",
        "--",
        "python3",
        "app.py",
      ],
      { cwd: project.dir },
    );
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("the model command exited with code 3");
    expect(r.stderr).toContain("demo model: caches written under /root");
    await expect(lstat(project.path("mlpack.lock.json"))).rejects.toThrow();
    await expect(lstat(project.path(".mlpack", "assets", "huggingface"))).rejects.toThrow();
    expect(await managedContainers(marker)).toEqual([]);
  });

  it("--check passes on an unchanged run and fails with a readable diff on drift, leaving the lock alone", async () => {
    const project = await fixtureProject();
    const args = ["discover", "--image", testEnv().pythonImage, "--network", "none"];
    expect((await runCli([...args, "--", "python3", "app.py"], { cwd: project.dir })).code).toBe(0);
    const lockBefore = await readFile(project.path("mlpack.lock.json"), "utf8");
    const ok = await runCli([...args, "--check", "--", "python3", "app.py"], { cwd: project.dir });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain("mlpack.lock.json is up to date.");
    const drift = await runCli(
      [...args, "--check", "--env", "MLPACK_FIXTURE_VARIANT=changed", "--", "python3", "app.py"],
      { cwd: project.dir },
    );
    expect(drift.code).toBe(1);
    expect(drift.stderr).toContain("mlpack.lock.json is out of date");
    expect(drift.stderr).toMatch(/~ nltk \(digest, bytes changed\)/);
    expect(await readFile(project.path("mlpack.lock.json"), "utf8")).toBe(lockBefore);
    // Drifted trees are not published: the staged asset still matches the committed lock.
    const stopwords = project.path(".mlpack", "assets", "nltk", "corpora", "stopwords", "english");
    expect(await readFile(stopwords, "utf8")).toBe("a\nan\nthe\n");
    const json = await runCli(
      [...args, "--json", "--check", "--env", "MLPACK_FIXTURE_VARIANT=changed", "--", "python3", "app.py"],
      { cwd: project.dir },
    );
    expect(JSON.parse(json.stdout).error).toMatchObject({
      code: "E_LOCK_DRIFT",
      details: { added: [], removed: [], changed: [{ id: "nltk" }] },
    });
    // Four discovers in the python image: past the default 120 s on this shared 2-core machine.
  }, 300_000);
});

await describeReal(["docker"], "discover with the docker runner (engine edge cases)", () => {
  it("an image that is missing and cannot be pulled is a clear error", async () => {
    const project = await useTempProject({ "app.sh": "true\n" });
    const r = await runCli(
      ["discover", "--image", "mlpack-test/does-not-exist:never", "--", "sh", "app.sh"],
      { cwd: project.dir, timeoutMs: 90_000 },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "image mlpack-test/does-not-exist:never is not present locally and could not be pulled",
    );
    expect(r.stderr).toContain("hint:");
  });

  it("--timeout stops a hanging command: exit 4, container removed", async () => {
    const project = await useTempProject({ "hang.sh": "echo hanging; sleep 60\n" });
    const marker = newMarker();
    const r = await runCli(
      ["discover", "--image", testEnv().busyboxImage, "--network", "none", "--timeout", "1", "--env", `MLPACK_TEST_MARKER=${marker}`, "--", "sh", "hang.sh"],
      { cwd: project.dir },
    );
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("the model command timed out after 1s");
    expect(r.stderr).toMatch(/hint: Raise --timeout/);
    expect(await managedContainers(marker)).toEqual([]);
  });

  it("Ctrl-C during the run exits 130 and leaves no container behind", async () => {
    const project = await useTempProject({ "slow.sh": "echo started; sleep 60\n" });
    const marker = newMarker();
    const child = spawn(
      process.execPath,
      [CLI_BIN, "discover", "--image", testEnv().busyboxImage, "--network", "none", "--env", `MLPACK_TEST_MARKER=${marker}`, "--", "sh", "slow.sh"],
      {
        cwd: project.dir,
        env: { ...process.env, NO_COLOR: "1", CI: "true" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const deadline = Date.now() + 30_000;
    while (!stderr.includes("started") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(stderr).toContain("started");
    expect((await managedContainers(marker)).length).toBe(1);
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(stderr).toContain("Interrupted");
    expect(await managedContainers(marker)).toEqual([]);
    await expect(lstat(project.path("mlpack.lock.json"))).rejects.toThrow();
  });
});

it("--runner local works with no engine at all", async () => {
  const project = await fixtureProject();
  const r = await runCli(["discover", "--runner", "local", "--json", "--", "python3", "app.py"], {
    cwd: project.dir,
    env: { DOCKER_HOST: "unix:///nonexistent" },
  });
  expect(r.code, r.stderr).toBe(0);
  const doc = JSON.parse(r.stdout);
  expect(doc.lock.runner).toBe("local");
  expect(doc.lock.assets.map((a: { id: string }) => a.id)).toEqual([
    "gensim",
    "huggingface",
    "nltk",
    "torch",
  ]);
  expect(doc.unclassified).toEqual([
    { path: "~/.mystery-models", kind: "folder", files: 1, bytes: 2 * 1024 * 1024, include: "~/.mystery-models", relocation: { via: "home" } },
  ]);
});
