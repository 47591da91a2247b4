import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readlink, symlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BusyError } from "../../src/errors.js";
import { acquireProjectLock, type LockHolder, processStart } from "../../src/state/project-lock.js";
import { removeLeftovers } from "../../src/state/work-dir.js";
import { runCli } from "../support/cli.js";
import { useTempProject } from "../support/project.js";

/** A pid that existed and is gone now. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "console.log(process.pid)"], { encoding: "utf8" });
  return Number(child.stdout.trim());
}

async function plantLock(dir: string, holder: Partial<LockHolder>): Promise<string> {
  await mkdir(join(dir, ".mlpack"), { recursive: true });
  const path = join(dir, ".mlpack", "lock");
  const full: LockHolder = {
    pid: holder.pid ?? process.pid,
    host: holder.host ?? hostname(),
    command: holder.command ?? "mlpack bundle",
    startedAt: "2026-12-01T00:00:00.000Z",
    token: holder.token ?? "planted",
    ...(holder.start === undefined ? {} : { start: holder.start }),
  };
  await symlink(JSON.stringify(full), path);
  return path;
}

describe("project lock", () => {
  it("lets one holder in and names it to the next, until it is released", async () => {
    const project = await useTempProject();
    const first = await acquireProjectLock(project.dir, { command: "mlpack bundle" });
    const error = await acquireProjectLock(project.dir, { command: "mlpack discover" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BusyError);
    expect((error as BusyError).code).toBe("E_BUSY");
    expect((error as BusyError).message).toContain(`\`mlpack bundle\` (pid ${process.pid}`);
    await first?.release();
    const second = await acquireProjectLock(project.dir, { command: "mlpack discover" });
    expect(second?.holder.command).toBe("mlpack discover");
    await second?.release();
    expect(existsSync(join(project.dir, ".mlpack", "lock"))).toBe(false);
  });

  it("takes over the lock of a process that died", async () => {
    const project = await useTempProject();
    await plantLock(project.dir, { pid: deadPid() });
    const lock = await acquireProjectLock(project.dir, { command: "mlpack bundle" });
    expect(lock?.holder.pid).toBe(process.pid);
    expect(JSON.parse(await readlink(lock!.path)).token).toBe(lock?.holder.token);
    await lock?.release();
  });

  it("sees a reused pid: same pid, later start time, is a dead holder", async () => {
    const project = await useTempProject();
    const start = processStart(process.pid);
    expect(start).toBeTypeOf("number");
    await plantLock(project.dir, { pid: process.pid, start: (start as number) - 1 });
    const lock = await acquireProjectLock(project.dir, { command: "mlpack bundle" });
    expect(lock?.holder.token).not.toBe("planted");
    await lock?.release();
  });

  it("trusts a lock taken on another host, and a garbled lock is taken over", async () => {
    const project = await useTempProject();
    const path = await plantLock(project.dir, { host: "some-other-ci-runner", pid: deadPid() });
    await expect(acquireProjectLock(project.dir, { command: "x" })).rejects.toThrow(/on some-other-ci-runner/);
    await (await import("node:fs/promises")).unlink(path);
    await writeFile(path, "not a symlink");
    const lock = await acquireProjectLock(project.dir, { command: "x" });
    expect(lock).toBeDefined();
    await lock?.release();
  });

  it("gives a dead lock to exactly one of many racing takers", async () => {
    const project = await useTempProject();
    await plantLock(project.dir, { pid: deadPid() });
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => acquireProjectLock(project.dir, { command: `taker ${i}` })),
    );
    // One process, so every loser sees the winner alive and gets E_BUSY.
    const won = results.filter((r) => r.status === "fulfilled");
    expect(won).toHaveLength(1);
    expect(results.filter((r) => r.status === "rejected").every((r) => (r as PromiseRejectedResult).reason instanceof BusyError)).toBe(true);
    await (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof acquireProjectLock>>>).value?.release();
  });

  it("never removes a lock it does not hold", async () => {
    const project = await useTempProject();
    const lock = await acquireProjectLock(project.dir, { command: "a" });
    const path = lock!.path;
    await (await import("node:fs/promises")).unlink(path);
    await plantLock(project.dir, { token: "someone-else" });
    await lock?.release();
    expect(JSON.parse(await readlink(path)).token).toBe("someone-else");
  });

  it("does not create .mlpack for commands that only lock an existing project", async () => {
    const project = await useTempProject();
    expect(await acquireProjectLock(project.dir, { command: "mlpack push", create: false })).toBeUndefined();
    expect(existsSync(project.path(".mlpack"))).toBe(false);
  });
});

describe("leftovers of dead runs", () => {
  it("are removed under the lock: .mlpack/tmp, .staging-* and .old-*, nothing else", async () => {
    const project = await useTempProject({
      ".mlpack/tmp/home-abc/.cache/x": "x",
      ".mlpack/assets/.staging-1-2/nltk/a": "a",
      ".mlpack/assets/.old-1-2/nltk/a": "a",
      ".mlpack/assets/nltk/a": "kept",
      ".mlpack/oci/index.json": "{}",
    });
    const removed = await removeLeftovers(project.dir);
    expect(removed.map((p) => p.slice(project.dir.length + 1)).sort()).toEqual([
      ".mlpack/assets/.old-1-2",
      ".mlpack/assets/.staging-1-2",
      ".mlpack/tmp/home-abc",
    ]);
    expect(existsSync(project.path(".mlpack/assets/nltk/a"))).toBe(true);
    expect(existsSync(project.path(".mlpack/oci/index.json"))).toBe(true);
  });

  it("through the CLI: a busy project is E_BUSY naming the holder; after kill -9 the next run takes over and cleans up", async () => {
    const project = await useTempProject({ ".mlpack/tmp/home-dead/file": "x" });
    const holder = spawn(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `const { acquireProjectLock } = await import(${JSON.stringify(new URL("../../dist/state/project-lock.js", import.meta.url).href)});
         await acquireProjectLock(${JSON.stringify(project.dir)}, { command: "mlpack discover" });
         console.log("held"); setInterval(() => {}, 1000);`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    try {
      await new Promise<void>((resolve) => holder.stdout.once("data", () => resolve()));
      const busy = await runCli(["bundle", "--json"], { cwd: project.dir });
      expect(busy.code).toBe(1);
      const doc = JSON.parse(busy.stdout);
      expect(doc.error.code).toBe("E_BUSY");
      expect(doc.error.message).toContain(`\`mlpack discover\` (pid ${holder.pid}`);
      expect(existsSync(project.path(".mlpack/tmp/home-dead"))).toBe(true);
    } finally {
      holder.kill("SIGKILL");
      await new Promise((r) => holder.once("exit", r));
    }
    const next = await runCli(["bundle", "--json"], { cwd: project.dir });
    // No lock file in this project: the bundle itself fails, but it ran (not E_BUSY) and removed the leftovers.
    expect(JSON.parse(next.stdout).error.code).toBe("E_NO_LOCK");
    expect(existsSync(project.path(".mlpack/tmp/home-dead"))).toBe(false);
    expect(existsSync(project.path(".mlpack/lock"))).toBe(false);
  });
});
