import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it, onTestFinished } from "vitest";
import { digestTree } from "../../src/lock/tree-digest.js";
import { runCli } from "../support/cli.js";
import { dockerClient } from "../support/docker.js";
import { testEnv } from "../support/env.js";
import { describeReal } from "../support/real.js";

/** A project folder on its own small tmpfs (we are root), unmounted when the test ends. */
async function smallDiskProject(mib: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "mlpack-nospace-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${mib}m`, "tmpfs", dir]);
  onTestFinished(async () => {
    execFileSync("umount", ["-l", dir]);
    await rm(dir, { recursive: true, force: true });
  });
  return dir;
}

async function markerContainers(marker: string): Promise<string[]> {
  const list = await dockerClient().listContainers({ all: true, filters: { label: ["dev.mlpack.managed=true"] } });
  const ours: string[] = [];
  for (const c of list) {
    const info = await dockerClient().getContainer(c.Id).inspect().catch(() => undefined);
    if (info?.Config.Env?.includes(`MLPACK_TEST_MARKER=${marker}`)) ours.push(c.Id);
  }
  return ours;
}

/** What a failed discover must leave alone: the lock, the staged trees it describes, and no scratch. */
async function expectPreviousStateIntact(project: string, lockBefore: string): Promise<void> {
  expect(await readFile(join(project, "mlpack.lock.json"), "utf8")).toBe(lockBefore);
  const lock = JSON.parse(lockBefore);
  for (const a of lock.assets)
    expect((await digestTree(join(project, ".mlpack", "assets", a.id))).digest).toBe(a.digest);
  const assets = await readdir(join(project, ".mlpack", "assets"));
  // Stage stamps (.stamp-<id>.json) belong to the published trees; staging and old folders must be gone.
  expect(assets.filter((n) => n.startsWith(".") && !n.startsWith(".stamp-"))).toEqual([]);
  expect(await readdir(join(project, ".mlpack", "tmp")).catch(() => [])).toEqual([]);
}

function expectNoSpace(r: { code: number; stdout: string }, project: string): void {
  expect(r.code, r.stdout).toBe(1);
  const error = JSON.parse(r.stdout).error;
  expect(error.code).toBe("E_NO_SPACE");
  expect(error.message).toContain(`no space left in ${join(project, ".mlpack", "assets")}`);
  expect(error.message).toMatch(/MiB needed in all/);
  expect(error.message).not.toContain("bug in mlpack");
}

await describeReal(["docker"], "discover on a disk that fills up", () => {
  it("docker runner: E_NO_SPACE naming the folder and the size, no container, no partial staging, old state intact", async () => {
    const project = await smallDiskProject(8);
    const marker = `runners-nospace-${Date.now()}`;
    const args = [
      "discover",
      "--json",
      "--image",
      testEnv().busyboxImage,
      "--network",
      "none",
      "--env",
      `MLPACK_TEST_MARKER=${marker}`,
      "--",
      "sh",
      "app.sh",
    ];
    await writeFile(join(project, "app.sh"), 'mkdir -p /root/nltk_data/w && echo words > /root/nltk_data/w/list\n');
    const ok = await runCli(args, { cwd: project });
    expect(ok.code, ok.stderr).toBe(0);
    const lockBefore = await readFile(join(project, "mlpack.lock.json"), "utf8");
    // 20 MB of noise (zeros would be written as holes and fit).
    await writeFile(
      join(project, "app.sh"),
      "mkdir -p /root/nltk_data/w && echo words > /root/nltk_data/w/list && head -c 20000000 /dev/urandom > /root/nltk_data/w/big\n",
    );
    const full = await runCli(args, { cwd: project });
    expectNoSpace(full, project);
    await expectPreviousStateIntact(project, lockBefore);
    expect(await markerContainers(marker)).toEqual([]);
  });
});

it("local runner: an --include copied onto a full disk is E_NO_SPACE; the include and the old state are intact", async () => {
  const project = await smallDiskProject(8);
  const outside = await mkdtemp(join(tmpdir(), "mlpack-nospace-src-"));
  onTestFinished(() => rm(outside, { recursive: true, force: true }));
  await mkdir(join(outside, "models"));
  await writeFile(join(outside, "models", "config.json"), "{}\n");
  await writeFile(join(project, "app.sh"), "true\n");
  const args = ["discover", "--runner", "local", "--json", "--include", join(outside, "models"), "--", "sh", "app.sh"];
  const ok = await runCli(args, { cwd: project });
  expect(ok.code, ok.stderr).toBe(0);
  const lockBefore = await readFile(join(project, "mlpack.lock.json"), "utf8");
  const weights = randomBytes(20_000_000);
  await writeFile(join(outside, "models", "weights.bin"), weights);
  const full = await runCli(args, { cwd: project });
  expectNoSpace(full, project);
  await expectPreviousStateIntact(project, lockBefore);
  // The user's folder is the source of a copy: untouched.
  expect((await readFile(join(outside, "models", "weights.bin"))).equals(weights)).toBe(true);
});
