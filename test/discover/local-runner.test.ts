import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { LocalRunner } from "../../src/discover/local-runner.js";
import type { MlpackEvent } from "../../src/events.js";
import { useTempProject } from "../support/project.js";

/**
 * A command that leaves a child in the background holding stdout and records the child's pid, then either
 * hangs itself (sleep) or exits at once. Without a process group, discover waited for that child's stdout.
 */
const BACKGROUND = (then: string) =>
  `sleep 30 & echo $! > "$PWD/child.pid"; echo started; ${then}`;

/** Running (a killed child stays a zombie until init reaps it: that is not running). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}

async function childPid(dir: string): Promise<number> {
  return Number((await readFile(`${dir}/child.pid`, "utf8")).trim());
}

const request = (dir: string, script: string, timeoutSec = 60) => ({
  command: ["sh", "-c", script],
  projectDir: dir,
  env: {},
  timeoutSec,
});

describe("LocalRunner: the command's process group", () => {
  it("--timeout stops the command and its background child within 2 s; the hint is about the timeout", async () => {
    const project = await useTempProject();
    const started = performance.now();
    const run = new LocalRunner().run(request(project.dir, BACKGROUND("sleep 30"), 1), { emit: () => {} });
    await expect(run).rejects.toMatchObject({ code: "E_MODEL_COMMAND", exitCode: 4 });
    const elapsed = performance.now() - started;
    expect(elapsed).toBeLessThan(1000 + 2000);
    const error = (await run.then(
      () => undefined,
      (e: unknown) => e,
    )) as { message: string; hint: string; details: { outputTail: string } };
    expect(error.message).toBe("the model command timed out after 1s");
    expect(error.hint).toMatch(/Raise --timeout/);
    expect(error.hint).not.toMatch(/command name/);
    expect(error.details.outputTail).toBe("started");
    expect(alive(await childPid(project.dir))).toBe(false);
  });

  it("Ctrl-C (abort) stops the command and its background child within 2 s: InterruptedError", async () => {
    const project = await useTempProject();
    const controller = new AbortController();
    const events: MlpackEvent[] = [];
    const run = new LocalRunner().run(request(project.dir, BACKGROUND("sleep 30")), {
      emit: (e) => {
        events.push(e);
        if (e.type === "log" && e.text.includes("started")) setTimeout(() => controller.abort(), 50);
      },
      signal: controller.signal,
    });
    const settled = run.then(
      () => undefined,
      (e: unknown) => e,
    );
    while (!controller.signal.aborted) await new Promise((r) => setTimeout(r, 20));
    const abortedAt = performance.now();
    const error = await settled;
    expect(performance.now() - abortedAt).toBeLessThan(2000);
    expect(error).toMatchObject({ code: "E_INTERRUPTED", exitCode: 130 });
    expect(alive(await childPid(project.dir))).toBe(false);
  });

  it("a command that exits while its background child still holds stdout returns at once", async () => {
    const project = await useTempProject();
    const started = performance.now();
    const session = await new LocalRunner().run(request(project.dir, BACKGROUND("exit 0")), { emit: () => {} });
    try {
      expect(performance.now() - started).toBeLessThan(2000);
      // The leftover child is stopped too: it cannot change the home while it is staged.
      expect(alive(await childPid(project.dir))).toBe(false);
    } finally {
      await session.close();
    }
  });

  it("a timeout past setTimeout's 2^31 ms limit does not fire at once", async () => {
    const project = await useTempProject();
    const session = await new LocalRunner().run(request(project.dir, "sleep 1; echo done", 2_200_000), {
      emit: () => {},
    });
    await session.close();
  });

  it("a command that cannot start names it; a failing one carries its output tail in details", async () => {
    const project = await useTempProject();
    const missing = new LocalRunner().run(
      { command: ["no-such-model-cmd"], projectDir: project.dir, env: {}, timeoutSec: 60 },
      { emit: () => {} },
    );
    await expect(missing).rejects.toMatchObject({ code: "E_MODEL_COMMAND", hint: expect.stringContaining("no-such-model-cmd") });
    await expect(missing).rejects.toThrow(/could not start/);
    const failing = new LocalRunner().run(request(project.dir, "echo one; echo two >&2; exit 3"), { emit: () => {} });
    await expect(failing).rejects.toMatchObject({
      message: "the model command exited with code 3",
      details: { commandExitCode: 3, outputTail: "one\ntwo" },
    });
  });
});
