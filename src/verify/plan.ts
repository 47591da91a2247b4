import type Docker from "dockerode";
import { splitWrapper } from "../dockerfile/wrapper.js";
import { UsageError } from "../errors.js";

/** Label on every container mlpack creates (same key as discover's), so strays can be found. */
export const MANAGED_LABEL = "dev.mlpack.managed";

/** What verify needs to know about the image, from `docker image inspect`. */
export interface ImageFacts {
  id: string;
  env: Record<string, string>;
  entrypoint: string[];
  cmd: string[];
  labels: Record<string, string>;
  /** Paths the image declares as VOLUME (`Config.Volumes`). */
  volumes?: string[];
}

export interface VerifyPlanOptions {
  /** The command after `--`; empty = derive it from the image's CMD. */
  command: readonly string[];
  uid: number;
  tmpSizeMb: number;
  /** Extra container labels (tests use them to find what they created). */
  labels?: Readonly<Record<string, string>>;
  /** Extra mounts (e.g. an export bind-mounted read-only); appended after the VOLUME mounts. */
  mounts?: readonly Docker.MountSettings[];
  /** Extra variables over the image's ENV and Lambda's defined ones. */
  env?: Readonly<Record<string, string>>;
  /** Network mode; `none` (Lambda without a VPC route to the model host) unless a scenario needs one. */
  network?: string;
  /** Names the read-only named volumes get (one per VOLUME path); random per run by default. */
  volumeName?: (index: number) => string;
}

/** A named volume verify creates for a VOLUME path, mounted read-only and removed afterwards. */
export interface PlannedVolume {
  name: string;
  target: string;
}

export interface VerifyPlan {
  /** The command as it will run, for messages. */
  display: string[];
  source: "argument" | "handler" | "image";
  /** `module.function` when the image's CMD is a Lambda handler. */
  handler?: string;
  /** Variables verify adds to the image's own ENV. */
  addedEnv: Record<string, string>;
  /** The image's mlpack entrypoint wrapper (it runs first, as it would on Lambda), when it has one. */
  wrapper: string[] | null;
  volumes: PlannedVolume[];
  create: Docker.ContainerCreateOptions;
}

const HANDLER = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$/;

/** Lambda never runs a function as root; a fractional uid makes the engine answer HTTP 500. */
export function checkUid(uid: number): void {
  if (uid === 0) {
    throw new UsageError("--uid 0: Lambda never runs a function as root, so verify does not either", {
      hint: "Use a non-root uid (Lambda's is 993, the default).",
    });
  }
  if (!Number.isInteger(uid) || uid < 1 || uid > 2_147_483_646) {
    throw new UsageError(`--uid ${uid}: must be a whole number from 1 to 2147483646`, {
      hint: "Lambda runs as uid 993 (the default).",
    });
  }
}

/**
 * The Python one-liner that imports a handler the way Lambda's runtime does: `$LAMBDA_TASK_ROOT` first on
 * sys.path, then the module, then the function must exist and be callable.
 */
export function handlerImportScript(handler: string): string {
  const dot = handler.lastIndexOf(".");
  const module = JSON.stringify(handler.slice(0, dot));
  const func = JSON.stringify(handler.slice(dot + 1));
  return [
    "import importlib, os, sys",
    'sys.path.insert(0, os.environ.get("LAMBDA_TASK_ROOT", "/var/task"))',
    `m = importlib.import_module(${module})`,
    `f = getattr(m, ${func}, None)`,
    `sys.exit(0 if callable(f) else "mlpack verify: " + ${JSON.stringify(handler)} + " is not a callable in " + str(m.__file__))`,
  ].join("\n");
}

/**
 * The container verify runs, as Lambda would: read-only root, no network, a tmpfs /tmp of the configured size,
 * a non-root uid (gid the same) with no capabilities, the image's ENV plus Lambda's defined variables, and
 * HOME left alone (Lambda does not set it; Docker then takes it from /etc/passwd, else `/`, both read-only).
 */
export function planVerify(image: ImageFacts, opts: VerifyPlanOptions): VerifyPlan {
  checkUid(opts.uid);
  if (!(opts.tmpSizeMb >= 1)) throw new UsageError(`--tmp-size ${opts.tmpSizeMb}: must be at least 1 (MB)`);
  const wrapper = splitWrapper(image.entrypoint)?.wrapper ?? null;
  let entrypoint: string[] | undefined;
  let cmd: string[] | undefined;
  let source: VerifyPlan["source"];
  let handler: string | undefined;
  const imageCmd = image.cmd;
  if (opts.command.length > 0) {
    entrypoint = [opts.command[0]!];
    cmd = opts.command.slice(1);
    source = "argument";
  } else if (imageCmd.length === 1 && HANDLER.test(imageCmd[0]!)) {
    handler = imageCmd[0]!;
    entrypoint = ["python3", "-c", handlerImportScript(handler)];
    cmd = [];
    source = "handler";
  } else if (image.entrypoint.length + imageCmd.length > 0) {
    source = "image";
  } else {
    throw new UsageError(`image ${image.id.slice(0, 19)} has no CMD or ENTRYPOINT to verify`, {
      hint: "Give the command to run after --, e.g. mlpack verify my-image -- python3 -c 'import app'.",
    });
  }
  const addedEnv: Record<string, string> = {
    AWS_LAMBDA_FUNCTION_NAME: "mlpack-verify",
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "1024",
    AWS_REGION: "us-east-1",
    AWS_DEFAULT_REGION: "us-east-1",
    TZ: ":UTC",
  };
  if (image.env.LAMBDA_TASK_ROOT === undefined) addedEnv.LAMBDA_TASK_ROOT = "/var/task";
  if (image.env.LAMBDA_RUNTIME_DIR === undefined) addedEnv.LAMBDA_RUNTIME_DIR = "/var/runtime";
  if (handler) addedEnv._HANDLER = handler;
  Object.assign(addedEnv, opts.env ?? {});
  const volumeName =
    opts.volumeName ?? ((i: number) => `mlpack-verify-${image.id.slice(7, 19)}-${process.pid}-${Date.now()}-${i}`);
  const volumes = [...new Set(image.volumes ?? [])]
    .filter((v) => v !== "/tmp" && !v.startsWith("/tmp/"))
    .sort()
    .map((target, i) => ({ name: volumeName(i), target }));
  const display =
    source === "image"
      ? [...image.entrypoint, ...imageCmd]
      : source === "handler"
        ? ["python3", "-c", `<import ${handler} from $LAMBDA_TASK_ROOT>`]
        : [...entrypoint!, ...cmd!];
  // Lambda runs the image's ENTRYPOINT, so a command verify substitutes still starts behind the wrapper.
  if (wrapper && entrypoint) entrypoint = [...wrapper, ...entrypoint];
  const create: Docker.ContainerCreateOptions = {
    Image: image.id,
    ...(entrypoint ? { Entrypoint: entrypoint, Cmd: cmd ?? [] } : {}),
    Env: Object.entries(addedEnv).map(([k, v]) => `${k}=${v}`),
    User: `${opts.uid}:${opts.uid}`,
    Labels: { ...opts.labels, [MANAGED_LABEL]: "true", "dev.mlpack.command": "verify" },
    AttachStdout: false,
    AttachStderr: false,
    Tty: false,
    NetworkDisabled: false,
    HostConfig: {
      ReadonlyRootfs: true,
      NetworkMode: opts.network ?? "none",
      Tmpfs: { "/tmp": `rw,nosuid,nodev,size=${Math.max(1, Math.floor(opts.tmpSizeMb))}m,mode=1777` },
      // Lambda has no /dev/shm; Docker's default is a writable 64 MB tmpfs. A private IPC namespace without it.
      IpcMode: "none",
      // Lambda has no volumes either: a VOLUME path is part of the read-only image there. Docker would mount a
      // writable anonymous volume under --read-only; a named one (filled from the image) can be read-only.
      Mounts: [
        ...volumes.map((v) => ({ Type: "volume" as const, Source: v.name, Target: v.target, ReadOnly: true })),
        ...(opts.mounts ?? []),
      ],
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges"],
      Init: false,
    },
  };
  return { display, source, ...(handler ? { handler } : {}), addedEnv, wrapper, volumes, create };
}
