import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import type Docker from "dockerode";
import { execa } from "execa";
import { z } from "zod";
import { waitWithTimeout } from "../docker/wait.js";
import { demuxLogs } from "../verify/container-run.js";
import type { RunContext } from "../events.js";
import { MANAGED_LABEL } from "./docker-runner.js";
import { projectArchive } from "./project-archive.js";
import type { CodeHit, ScanRequest } from "./relocate.js";

/**
 * Looks for the environment variable that moves an unknown cache in the Python code the model command ran
 * with (issue 18): `templates/python/code_scan.py` walks the `.py` files on `sys.path` and reports lookups
 * next to a folder's name. It runs with the run's own interpreter: a throwaway, labelled, network-less
 * container of the discover image (docker runner) or the host's python with the run's environment (local
 * runner). A scan that cannot run (no python in the image) is "unavailable", never an error: the caches are
 * still packaged, only without a proposed variable.
 */
export interface CodeScanResult {
  available: boolean;
  /** Why not, when unavailable. */
  reason?: string;
  hits: CodeHit[];
  /** .py files read. */
  files: number;
  /** The scanner stopped at its time limit; the hits are those found until then. */
  truncated?: boolean;
}

export interface CodeScanner {
  /** "image my-app:dev" or "host python3", for messages. */
  readonly where: string;
  /** `env`: the environment the model command ran with (PYTHONPATH, VIRTUAL_ENV, … decide sys.path). */
  scan(requests: readonly ScanRequest[], env: Readonly<Record<string, string>>, ctx: RunContext): Promise<CodeScanResult>;
}

const SCAN_TIMEOUT_SEC = 300;

const hitSchema = z.object({
  name: z.string(),
  variable: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
  file: z.string(),
  line: z.number().int().positive(),
  tier: z.union([z.literal(1), z.literal(2)]),
  relation: z.enum(["dir", "parent"]),
  text: z.string(),
});
const outputSchema = z.object({
  version: z.literal(1),
  files: z.number().int(),
  hits: z.array(hitSchema),
  truncated: z.boolean().optional(),
});

let script: Promise<string> | undefined;

/** The scanner's source, shipped in the package's `templates/` (next to `dist/`). */
export function scannerSource(): Promise<string> {
  script ??= readFile(new URL("../../templates/python/code_scan.py", import.meta.url), "utf8");
  return script;
}

/** The scanner's stdout as data; anything else (a crash, a foreign print) makes the scan unavailable. */
export function parseScanOutput(stdout: string): CodeScanResult {
  const line = stdout.trim().split("\n").pop() ?? "";
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return { available: false, reason: "the scanner printed no result", hits: [], files: 0 };
  }
  const parsed = outputSchema.safeParse(raw);
  if (!parsed.success) return { available: false, reason: "the scanner's output was not understood", hits: [], files: 0 };
  const { hits, files, truncated } = parsed.data;
  return { available: true, hits, files, ...(truncated ? { truncated: true } : {}) };
}

function argument(requests: readonly ScanRequest[]): string {
  return JSON.stringify({ names: requests.map((r) => ({ name: r.name, match: r.match })) });
}

/** The interpreter of the model command when it is one (`python3.11 app.py`), else python3. */
export function pythonOf(command: readonly string[]): string {
  const first = command[0] ?? "";
  return /^python(\d+(\.\d+)?)?$/.test(basename(first)) ? first : "python3";
}

/** `--runner local`: the host's python with the run's environment, in the project folder. */
export class HostCodeScanner implements CodeScanner {
  readonly where: string;
  constructor(private readonly opts: { python: string; cwd: string }) {
    this.where = `host ${opts.python}`;
  }

  async scan(
    requests: readonly ScanRequest[],
    env: Readonly<Record<string, string>>,
    ctx: RunContext,
  ): Promise<CodeScanResult> {
    const result = await execa(this.opts.python, ["-c", await scannerSource(), argument(requests)], {
      cwd: this.opts.cwd,
      env: { ...env },
      extendEnv: false,
      reject: false,
      stdin: "ignore",
      timeout: SCAN_TIMEOUT_SEC * 1000,
      cancelSignal: ctx.signal,
    });
    if (result.failed) {
      const why = result.exitCode === undefined ? result.shortMessage : `exited with code ${result.exitCode}`;
      return { available: false, reason: `${this.opts.python} ${why}`, hits: [], files: 0 };
    }
    return parseScanOutput(String(result.stdout));
  }
}

export interface DockerCodeScannerOptions {
  docker: Docker;
  image: string;
  workdir: string;
  projectDir: string;
  python?: string;
  /** Extra labels (tests find their containers by them). */
  labels?: Readonly<Record<string, string>>;
}

/** The docker runner: a throwaway container of the same image, project copied in, no network; removed after. */
export class DockerCodeScanner implements CodeScanner {
  readonly where: string;
  constructor(private readonly opts: DockerCodeScannerOptions) {
    this.where = `image ${opts.image}`;
  }

  async scan(
    requests: readonly ScanRequest[],
    env: Readonly<Record<string, string>>,
    ctx: RunContext,
  ): Promise<CodeScanResult> {
    const source = await scannerSource();
    const pythons = [...new Set([this.opts.python ?? "python3", "python3", "python"])];
    let last = "";
    for (const python of pythons) {
      const outcome = await this.runOnce(python, source, argument(requests), env, ctx);
      if (outcome.kind === "done") return outcome.result;
      last = outcome.reason;
    }
    return { available: false, reason: `no Python interpreter in ${this.opts.image} (${last})`, hits: [], files: 0 };
  }

  private async runOnce(
    python: string,
    source: string,
    arg: string,
    env: Readonly<Record<string, string>>,
    ctx: RunContext,
  ): Promise<{ kind: "done"; result: CodeScanResult } | { kind: "missing"; reason: string }> {
    const { docker } = this.opts;
    const container = await docker.createContainer({
      Image: this.opts.image,
      Entrypoint: [python],
      Cmd: ["-c", source, arg],
      Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      WorkingDir: this.opts.workdir,
      Labels: {
        [MANAGED_LABEL]: "true",
        "dev.mlpack.command": "discover-code-scan",
        "dev.mlpack.session": randomBytes(6).toString("hex"),
        ...this.opts.labels,
      },
      AttachStdout: false,
      AttachStderr: false,
      Tty: false,
      HostConfig: { NetworkMode: "none" },
    });
    const onAbort = () => void container.kill().catch(() => undefined);
    ctx.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const project = await projectArchive(this.opts.projectDir, this.opts.workdir);
      if (project.stream) await container.putArchive(project.stream, { path: "/" });
      try {
        await container.start();
      } catch (error) {
        // The engine refuses to start a missing executable ("executable file not found in $PATH").
        return { kind: "missing", reason: (error as Error).message.split("\n")[0] ?? String(error) };
      }
      const { statusCode, timedOut } = await waitWithTimeout(container, SCAN_TIMEOUT_SEC);
      const logs = (await container.logs({ stdout: true, stderr: false, follow: false })) as unknown as Buffer;
      // stderr is not asked for, so the frames hold only the scanner's JSON.
      const stdout = demuxLogs(logs);
      if (timedOut) return { kind: "done", result: unavailable(`timed out after ${SCAN_TIMEOUT_SEC}s`) };
      if (statusCode === 127) return { kind: "missing", reason: `${python}: not found` };
      if (statusCode !== 0) return { kind: "done", result: unavailable(`${python} exited with code ${statusCode}`) };
      return { kind: "done", result: parseScanOutput(stdout) };
    } finally {
      ctx.signal?.removeEventListener("abort", onAbort);
      await container.remove({ force: true, v: true }).catch(() => undefined);
    }
  }
}

function unavailable(reason: string): CodeScanResult {
  return { available: false, reason, hits: [], files: 0 };
}
