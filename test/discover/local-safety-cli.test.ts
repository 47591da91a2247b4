import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { mkdir, readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { digestTree } from "../../src/lock/tree-digest.js";
import { CLI_BIN, runCli } from "../support/cli.js";
import { useTempProject } from "../support/project.js";

/** Every file under `dir` (but mlpack's own .mlpack/ and lock) with its sha256: nothing of the user's may change. */
function snapshot(dir: string, rel = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(join(dir, rel)).sort()) {
    const path = rel ? `${rel}/${name}` : name;
    if (path === ".mlpack" || path === "mlpack.lock.json") continue;
    const st = statSync(join(dir, path));
    if (st.isDirectory()) Object.assign(out, snapshot(dir, path));
    else out[path] = createHash("sha256").update(readFileSync(join(dir, path))).digest("hex");
  }
  return out;
}

const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd, encoding: "utf8" });

/** A small git repository with a models folder, committed, and .mlpack ignored (as a user would). */
async function gitProject() {
  const project = await useTempProject({
    "app.sh": 'mkdir -p "$HOME/nltk_data/corpora/w" && echo words > "$HOME/nltk_data/corpora/w/list"\n',
    "models/weights.bin": "w".repeat(50_000),
    "models/sub/config.json": '{"a": 1}\n',
    ".gitignore": ".mlpack/\n",
  });
  git(project.dir, "init", "-q");
  git(project.dir, "add", ".");
  git(project.dir, "commit", "-qm", "init");
  return project;
}

describe("discover --runner local never touches the user's files", () => {
  it("--include of a project folder copies it (twice in a row), the root and .mlpack/ are refused: git stays clean", async () => {
    const project = await gitProject();
    const before = snapshot(project.dir);
    const models = project.path("models");
    for (let run = 0; run < 2; run++) {
      const r = await runCli(["discover", "--runner", "local", "--json", "--include", models, "--", "sh", "app.sh"], {
        cwd: project.dir,
      });
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout);
      const include = doc.assets.find((a: { library: string }) => a.library === "include");
      expect(include).toMatchObject({ files: 2, bytes: 50_009 });
      // The staged copy is complete, and the source is still all there for the next run.
      expect(await readFile(join(include.stagedPath, "weights.bin"), "utf8")).toBe("w".repeat(50_000));
      expect((await digestTree(include.stagedPath)).digest).toBe(include.digest);
      expect(snapshot(project.dir)).toEqual(before);
    }
    for (const bad of [project.dir, project.path(".mlpack"), project.path(".mlpack", "assets")]) {
      const r = await runCli(["discover", "--runner", "local", "--include", bad, "--", "sh", "app.sh"], {
        cwd: project.dir,
      });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`--include ${bad}`);
      expect(r.stderr).toMatch(/the project's work folder/);
      expect(r.stderr).not.toContain("bug in mlpack");
    }
    expect(snapshot(project.dir)).toEqual(before);
    // Only the lock mlpack writes is new.
    expect(git(project.dir, "status", "--porcelain")).toBe("?? mlpack.lock.json\n");
    // The lock of the last good run and its staged trees are still there and agree.
    const lock = JSON.parse(await readFile(project.path("mlpack.lock.json"), "utf8"));
    for (const a of lock.assets)
      expect((await digestTree(project.path(".mlpack", "assets", a.id))).digest).toBe(a.digest);
    // No scratch left behind by the refused runs.
    expect(await readdir(project.path(".mlpack", "tmp")).catch(() => [])).toEqual([]);
    expect((await readdir(project.path(".mlpack", "assets"))).filter((n) => n.startsWith(".") && !n.startsWith(".stamp-"))).toEqual([]);
  });

  it("two discovers started together: one fails with E_BUSY, the lock and staged trees left are valid", async () => {
    const project = await useTempProject({
      "app.sh": 'sleep 2; mkdir -p "$HOME/nltk_data/corpora/w" && echo words > "$HOME/nltk_data/corpora/w/list"\n',
    });
    const run = () => runCli(["discover", "--runner", "local", "--json", "--", "sh", "app.sh"], { cwd: project.dir });
    const results = await Promise.all([run(), run()]);
    const codes = results.map((r) => r.code).sort();
    expect(codes, results.map((r) => r.stderr).join("\n")).toEqual([0, 1]);
    const busy = results.find((r) => r.code === 1);
    expect(JSON.parse(busy?.stdout ?? "{}").error).toMatchObject({ code: "E_BUSY" });
    const lock = JSON.parse(await readFile(project.path("mlpack.lock.json"), "utf8"));
    expect(lock.assets.map((a: { id: string }) => a.id)).toEqual(["nltk"]);
    for (const a of lock.assets)
      expect((await digestTree(project.path(".mlpack", "assets", a.id))).digest).toBe(a.digest);
  });

  it("a failing command's --json error carries its output tail; bad --timeout values are exit 2", async () => {
    const project = await useTempProject({ "fail.sh": "echo loading weights; echo 'KeyError: bert' >&2; exit 3\n" });
    const r = await runCli(["discover", "--runner", "local", "--json", "--", "sh", "fail.sh"], { cwd: project.dir });
    expect(r.code).toBe(4);
    const error = JSON.parse(r.stdout).error;
    expect(error).toMatchObject({
      code: "E_MODEL_COMMAND",
      details: { commandExitCode: 3, outputTail: "loading weights\nKeyError: bert" },
    });
    expect(error.hint).toContain("details.outputTail");
    for (const bad of ["0", "-5"]) {
      const t = await runCli(["discover", "--runner", "local", "--timeout", bad, "--", "sh", "fail.sh"], {
        cwd: project.dir,
      });
      expect(t.code, t.stderr).toBe(2);
      expect(t.stderr).toContain("--timeout");
    }
  });

  it("Ctrl-C while a command's background child holds stdout: exit 130 within 2 s, no HOME left", async () => {
    const project = await useTempProject({ "slow.sh": "sleep 30 & echo started; sleep 30\n" });
    await mkdir(project.path(".mlpack"), { recursive: true });
    const child = spawn(process.execPath, [CLI_BIN, "discover", "--runner", "local", "--", "sh", "slow.sh"], {
      cwd: project.dir,
      env: { ...process.env, NO_COLOR: "1", CI: "true" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const deadline = Date.now() + 30_000;
    while (!stderr.includes("started") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(stderr).toContain("started");
    const sent = performance.now();
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(performance.now() - sent).toBeLessThan(2000);
    expect(await readdir(project.path(".mlpack", "tmp")).catch(() => [])).toEqual([]);
  });
});
