import Docker from "dockerode";

/** Label key every test-created container/image carries, e.g. `dev.mlpack.test=infra`, for cleanup. */
export const TEST_LABEL_KEY = "dev.mlpack.test";

let client: Docker | undefined;

/** One dockerode client per test worker; honours DOCKER_HOST like the docker CLI. */
export function dockerClient(): Docker {
  client ??= new Docker();
  return client;
}

/** Resolves true when the engine answers `/_ping` within `timeoutMs`. */
export async function pingDocker(timeoutMs = 3_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    const ping = dockerClient()
      .ping()
      .then(() => true)
      .catch(() => false);
    return await Promise.race([ping, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function statusCode(err: unknown): number | undefined {
  if (typeof err === "object" && err !== null && "statusCode" in err) {
    const code = (err as { statusCode: unknown }).statusCode;
    return typeof code === "number" ? code : undefined;
  }
  return undefined;
}

export async function imageExists(ref: string): Promise<boolean> {
  try {
    await dockerClient().getImage(ref).inspect();
    return true;
  } catch (err) {
    if (statusCode(err) === 404) return false;
    throw err;
  }
}

export interface RemovedByLabel {
  containers: number;
  images: number;
}

/**
 * Force-removes every container (with its anonymous volumes), then every image, carrying `label`
 * (`key` or `key=value`, as in `docker ps --filter label=...`). Already-gone objects are not errors.
 */
export async function removeByLabel(label: string): Promise<RemovedByLabel> {
  const docker = dockerClient();
  const filters = JSON.stringify({ label: [label] });
  const removed: RemovedByLabel = { containers: 0, images: 0 };
  for (const info of await docker.listContainers({ all: true, filters })) {
    try {
      await docker.getContainer(info.Id).remove({ force: true, v: true });
      removed.containers += 1;
    } catch (err) {
      if (statusCode(err) !== 404) throw err;
    }
  }
  for (const info of await docker.listImages({ all: true, filters })) {
    try {
      await docker.getImage(info.Id).remove({ force: true, noprune: false });
      removed.images += 1;
    } catch (err) {
      if (statusCode(err) !== 404 && statusCode(err) !== 409) throw err;
    }
  }
  return removed;
}

/**
 * Splits the multiplexed stream of a non-TTY container (`container.logs()` or attach) into its stdout and
 * stderr: frames of an 8-byte header [stream, 0, 0, 0, size (uint32 BE)] followed by `size` bytes.
 */
export function demuxDockerStream(buf: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buf.length) {
    const stream = buf[offset];
    const size = buf.readUInt32BE(offset + 4);
    const payload = buf.subarray(offset + 8, offset + 8 + size);
    if (stream === 2) err.push(payload);
    else out.push(payload);
    offset += 8 + size;
  }
  if (offset !== buf.length)
    throw new Error(`truncated docker stream frame at byte ${offset} of ${buf.length}`);
  return { stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") };
}

/** Containers mlpack created (dev.mlpack.managed) for a run whose environment carries MLPACK_TEST_MARKER=<marker>. */
export async function managedContainers(marker: string): Promise<string[]> {
  const docker = dockerClient();
  const list = await docker.listContainers({ all: true, filters: { label: ["dev.mlpack.managed=true"] } });
  const ours: string[] = [];
  for (const c of list) {
    const info = await docker.getContainer(c.Id).inspect().catch(() => undefined);
    if (info?.Config.Env?.includes(`MLPACK_TEST_MARKER=${marker}`)) ours.push(c.Id);
  }
  return ours;
}
