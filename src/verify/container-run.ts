import type Docker from "dockerode";
import { InterruptedError } from "../errors.js";
import { waitWithTimeout } from "../docker/wait.js";

export interface RunOutput {
  exitCode: number | null;
  timedOut: boolean;
  /** stdout and stderr interleaved in the order the engine recorded them. */
  output: string;
}

/**
 * The stopped container, still inspectable: which paths exist in its filesystem. (No diff: under a read-only
 * root it can only be empty, and on a multi-GB base the engine takes ~8 s to compute it.)
 */
export interface StoppedContainer {
  id: string;
  exists(path: string): Promise<boolean>;
}

/**
 * Splits the multiplexed log stream of a non-TTY container (8-byte frame headers: stream, 0, 0, 0, size
 * uint32 BE) into one text, keeping the frames' order. A truncated last frame is kept as far as it goes.
 */
export function demuxLogs(buf: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buf.length) {
    const size = buf.readUInt32BE(offset + 4);
    parts.push(buf.subarray(offset + 8, Math.min(buf.length, offset + 8 + size)));
    offset += 8 + size;
  }
  // Colour codes (nltk prints them) would garble messages and JSON; the text is what matters.
  return Buffer.concat(parts)
    .toString("utf8")
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
}

export interface RunOptions {
  timeoutSec: number;
  signal?: AbortSignal;
  /** Named volumes to create (labelled) before the container and remove after it. */
  volumes?: readonly string[];
  labels?: Readonly<Record<string, string>>;
}

/**
 * Creates the container (and its named volumes), runs it to completion (killing it after `timeoutSec` or on
 * abort), hands the stopped container to `inspect`, and removes both in every case: success, failure,
 * timeout, Ctrl-C.
 */
export async function runToCompletion<T>(
  docker: Docker,
  create: Docker.ContainerCreateOptions,
  opts: RunOptions,
  inspect: (run: RunOutput, stopped: StoppedContainer) => Promise<T>,
): Promise<T> {
  if (opts.signal?.aborted) throw new InterruptedError();
  const volumes = opts.volumes ?? [];
  try {
    for (const name of volumes) await docker.createVolume({ Name: name, Labels: { ...opts.labels } });
    return await runContainer(docker, create, opts, inspect);
  } finally {
    for (const name of volumes) {
      await docker
        .getVolume(name)
        .remove()
        .catch(() => undefined);
    }
  }
}

async function runContainer<T>(
  docker: Docker,
  create: Docker.ContainerCreateOptions,
  opts: RunOptions,
  inspect: (run: RunOutput, stopped: StoppedContainer) => Promise<T>,
): Promise<T> {
  const container = await docker.createContainer(create);
  let aborted = false;
  const onAbort = () => {
    aborted = true;
    void container.kill().catch(() => undefined);
  };
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await container.start();
    const { statusCode, timedOut } = await waitWithTimeout(container, opts.timeoutSec);
    if (aborted) throw new InterruptedError();
    const logs = (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    const run: RunOutput = {
      exitCode: timedOut ? null : statusCode,
      timedOut,
      output: demuxLogs(logs),
    };
    return await inspect(run, {
      id: container.id,
      exists: async (path) => {
        try {
          // HEAD /archive comes back as an (empty) stream; left unconsumed it holds the socket and the process open.
          const head = (await container.infoArchive({ path })) as unknown as { destroy?: () => void };
          head.destroy?.();
          return true;
        } catch (error) {
          if ((error as { statusCode?: number }).statusCode === 404) return false;
          throw error;
        }
      },
    });
  } finally {
    opts.signal?.removeEventListener("abort", onAbort);
    await container.remove({ force: true, v: true }).catch(() => undefined);
  }
}
