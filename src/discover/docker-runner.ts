import { randomBytes } from "node:crypto";
import { PassThrough, type Readable } from "node:stream";
import type Docker from "dockerode";
import { parseEnvList } from "../docker/env-list.js";
import { waitAtMost, waitWithTimeout } from "../docker/wait.js";
import { ModelCommandError, throwIfAborted, UsageError } from "../errors.js";
import type { RunContext } from "../events.js";
import { changesFromDocker } from "./docker-changes.js";
import { OutputTail } from "./output-tail.js";
import { projectArchive } from "./project-archive.js";
import type { Runner, RunRequest, RunSession } from "./runner.js";
import { extractTree, measureArchive } from "./safe-extract.js";

/** Label on every container mlpack creates, so strays can be found: `docker ps -a --filter label=dev.mlpack.managed`. */
export const MANAGED_LABEL = "dev.mlpack.managed";

export interface DockerRunnerOptions {
  docker: Docker;
  image: string;
  workdir: string;
  network?: string;
  keep: boolean;
}

/** Runs the model command in a throwaway container created from the image, then reads its filesystem diff. */
export class DockerRunner implements Runner {
  readonly kind = "docker" as const;
  readonly image: string;

  constructor(private readonly opts: DockerRunnerOptions) {
    this.image = opts.image;
  }

  async run(request: RunRequest, ctx: RunContext): Promise<RunSession> {
    const { docker } = this.opts;
    const info = await ensureImage(docker, this.image, ctx);
    const imageEnv = parseEnvList(info.Config?.Env ?? []);
    const env = { ...imageEnv, ...request.env };
    env.HOME ??= homeFor(info.Config?.User);
    const [file, ...rest] = request.command;
    if (!file)
      throw new UsageError("no command given", {
        hint: "Put the model command after --: mlpack discover -- python app.py",
      });

    const container = await docker.createContainer({
      Image: this.image,
      Entrypoint: [file],
      Cmd: rest,
      Env: Object.entries(request.env).map(([k, v]) => `${k}=${v}`),
      WorkingDir: this.opts.workdir,
      Labels: {
        [MANAGED_LABEL]: "true",
        "dev.mlpack.command": "discover",
        "dev.mlpack.session": randomBytes(6).toString("hex"),
      },
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      HostConfig: { NetworkMode: this.opts.network, Init: false },
    });
    const remove = async () => {
      if (this.opts.keep) {
        ctx.emit({ type: "step", message: `kept container ${container.id.slice(0, 12)} (--keep)` });
        return;
      }
      await container.remove({ force: true, v: true }).catch(() => undefined);
    };
    const onAbort = () => void container.kill().catch(() => undefined);
    ctx.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const project = await projectArchive(request.projectDir, this.opts.workdir);
      await container.putArchive(project.stream, { path: "/" });
      throwIfAborted(ctx.signal);
      const tail = new OutputTail();
      const attach = (await container.attach({
        stream: true,
        stdout: true,
        stderr: true,
      })) as unknown as Readable;
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      stdout.on("data", (b: Buffer) => {
        tail.push(b);
        ctx.emit({ type: "log", stream: "stdout", text: b.toString() });
      });
      stderr.on("data", (b: Buffer) => {
        tail.push(b);
        ctx.emit({ type: "log", stream: "stderr", text: b.toString() });
      });
      docker.modem.demuxStream(attach, stdout, stderr);
      const ended = new Promise<void>((resolve) => attach.on("end", resolve));
      ctx.emit({ type: "step", message: `running ${request.command.join(" ")} in ${this.image}` });
      await container.start();
      const { statusCode, timedOut } = await waitWithTimeout(container, request.timeoutSec);
      await waitAtMost(ended, 2000);
      throwIfAborted(ctx.signal);
      if (timedOut || statusCode !== 0) {
        const why = timedOut
          ? `timed out after ${request.timeoutSec}s`
          : `exited with code ${statusCode}`;
        throw new ModelCommandError(
          `the model command ${why}`,
          { commandExitCode: timedOut ? null : statusCode, outputTail: tail.text() },
          {
            hint: timedOut
              ? "Raise --timeout, or check the command hangs waiting for input."
              : "Fix the command so it runs cleanly; its last output is shown above.",
          },
        );
      }
      return {
        env,
        home: env.HOME,
        ephemeralHome: false,
        changes: async () => changesFromDocker((await container.changes()) ?? [], project.paths),
        exportTree: async (path, dest, filter) =>
          extractTree((await container.getArchive({ path })) as Readable, dest, filter),
        measure: async (path) => measureArchive((await container.getArchive({ path })) as Readable),
        close: async () => {
          ctx.signal?.removeEventListener("abort", onAbort);
          await remove();
        },
      };
    } catch (error) {
      ctx.signal?.removeEventListener("abort", onAbort);
      await remove();
      throw error;
    }
  }
}

async function ensureImage(docker: Docker, image: string, ctx: RunContext): Promise<Docker.ImageInspectInfo> {
  try {
    return await docker.getImage(image).inspect();
  } catch {
    ctx.emit({ type: "step", message: `pulling ${image}` });
  }
  try {
    const stream = await docker.pull(image);
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(
        stream,
        (err: Error | null) => (err ? reject(err) : resolve()),
        (e: { id?: string; status?: string; progressDetail?: { current?: number; total?: number } }) => {
          if (e.id && e.progressDetail?.current !== undefined) {
            ctx.emit({
              type: "progress",
              id: `pull-${e.id}`,
              label: `pull ${e.id}`,
              done: e.progressDetail.current,
              total: e.progressDetail.total,
              unit: "bytes",
            });
          }
        },
      );
    });
    return await docker.getImage(image).inspect();
  } catch (error) {
    throw new UsageError(`image ${image} is not present locally and could not be pulled`, {
      code: "E_IMAGE_NOT_FOUND",
      cause: error,
      hint: "Build or pull it first (docker build / docker pull), or name another with --image.",
    });
  }
}


/** Docker sets HOME=/root for root; other users get theirs from /etc/passwd, which we approximate. */
function homeFor(user: string | undefined): string {
  return !user || user === "root" || user === "0" || user.startsWith("0:")
    ? "/root"
    : `/home/${user.split(":")[0]}`;
}
