import { randomBytes } from "node:crypto";
import { PassThrough, type Readable } from "node:stream";
import type Docker from "dockerode";
import { parseEnvList } from "../docker/env-list.js";
import { waitAtMost, waitWithTimeout } from "../docker/wait.js";
import { throwIfAborted, UsageError } from "../errors.js";
import type { RunContext } from "../events.js";
import { changesFromDocker } from "./docker-changes.js";
import { OutputTail } from "./output-tail.js";
import { projectArchive } from "./project-archive.js";
import { modelCommandFailed, type Runner, type RunRequest, type RunSession } from "./runner.js";
import { getArchiveRaw } from "../docker/archive-socket.js";
import { type ArchiveSource, extractTree, measureArchive } from "./safe-extract.js";
import { escapeName } from "../util/names.js";

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
        ctx.emit({ type: "step", message: `kept container ${container.id} (--keep)` });
        return;
      }
      await container.remove({ force: true, v: true }).catch(() => undefined);
    };
    const onAbort = () => void container.kill().catch(() => undefined);
    ctx.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const project = await projectArchive(request.projectDir, this.opts.workdir);
      // An empty project is a real use (the code is in the image: -- python3 /app/model.py): nothing to copy.
      if (project.stream) await container.putArchive(project.stream, { path: "/" });
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
      // With --keep the failed container is the thing to inspect: its id goes into the error too.
      const kept = this.opts.keep ? { details: { keptContainer: container.id } } : {};
      try {
        await container.start();
      } catch (error) {
        throw startFailed(error, file, this.image, tail, kept);
      }
      const { statusCode, timedOut } = await waitWithTimeout(container, request.timeoutSec);
      await waitAtMost(ended, 2000);
      throwIfAborted(ctx.signal);
      if (timedOut) {
        throw modelCommandFailed(`timed out after ${request.timeoutSec}s`, null, tail, {
          hint: "Raise --timeout, or check whether the command waits for input or never exits.",
          ...kept,
        });
      }
      if (statusCode !== 0) throw modelCommandFailed(`exited with code ${statusCode}`, statusCode, tail, kept);
      const origin = `the container of ${this.image}`;
      return {
        env,
        home: env.HOME,
        ephemeralHome: false,
        copiedIn: project.files,
        keptContainer: this.opts.keep ? container.id : null,
        changes: async () => changesFromDocker((await container.changes()) ?? [], project.paths),
        exportTree: async (path, dest, filter, options) =>
          extractTree(await archiveOf(docker, container, path, options?.signal), dest, {
            filter,
            source: path,
            origin,
            ...(options?.onBytes ? { onBytes: options.onBytes } : {}),
            ...(options?.signal ? { signal: options.signal } : {}),
          }),
        measure: async (path) => measureArchive(await archiveOf(docker, container, path)),
        writtenBytes: async () => {
          // The writable layer's size: everything the command wrote, an upper bound of what staging copies.
          const inspect = container.inspect.bind(container) as (o: { size: boolean }) => Promise<{ SizeRw?: number }>;
          const info = await inspect({ size: true });
          return typeof info.SizeRw === "number" && info.SizeRw > 0 ? info.SizeRw : undefined;
        },
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

/**
 * The archive of one path in the container. Over a unix socket it is read with getArchiveRaw (one reused read
 * buffer, no per-read garbage); other endpoints (tcp, TLS) go through dockerode.
 */
async function archiveOf(docker: Docker, container: Docker.Container, path: string, signal?: AbortSignal): Promise<ArchiveSource> {
  const socketPath = (await (docker.modem as { getSocketPath?: () => Promise<unknown> }).getSocketPath?.()) as
    | string
    | undefined;
  if (typeof socketPath === "string" && socketPath !== "")
    return (onChunk) => getArchiveRaw(socketPath, container.id, path, onChunk, signal);
  return (await container.getArchive({ path })) as Readable;
}

/**
 * `container.start()` fails before the command runs when the runtime cannot exec it (HTTP 400 "executable file
 * not found", "permission denied", "no such file or directory"): the user's command, exit 4, not a bug.
 */
function startFailed(
  error: unknown,
  file: string,
  image: string,
  tail: OutputTail,
  extra: { details?: object },
): unknown {
  const message = (error as { json?: { message?: string } }).json?.message ?? (error as Error).message ?? "";
  const status = (error as { statusCode?: number }).statusCode;
  if (status === undefined || !/OCI runtime|exec:|executable file|permission denied|no such file/i.test(message))
    return error;
  const reason = /executable file not found|no such file or directory/i.test(message)
    ? `${file} was not found in ${image}`
    : /permission denied/i.test(message)
      ? `${file} is not executable in ${image}`
      : message;
  return modelCommandFailed(`could not start: ${reason}`, null, tail, {
    hint: `Check the command name (${escapeName(file)}) and that it exists in the image's PATH, or give its full path (e.g. -- python3 /app/model.py).`,
    cause: error,
    ...extra,
  });
}

/** Docker sets HOME=/root for root; other users get theirs from /etc/passwd, which we approximate. */
function homeFor(user: string | undefined): string {
  return !user || user === "root" || user === "0" || user.startsWith("0:")
    ? "/root"
    : `/home/${user.split(":")[0]}`;
}
