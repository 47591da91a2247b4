import { posix } from "node:path";
import { LABEL_ASSET_ROOT, LABEL_LOCK_DIGEST } from "../bundle/bundle.js";
import { getEntry } from "../catalog/index.js";
import { UsageError } from "../errors.js";
import type { Lock } from "../lock/lock.js";
import { lockDigest } from "../lock/lock-digest.js";
import { formatBytes } from "../util/format-bytes.js";
import { contextPath, defaultCodePaths, parseHandler } from "./code-paths.js";
import { planEnv } from "./env-block.js";
import { commentText, copyInstruction, execForm, formatEnv, fromRef, quoteValue } from "./instructions.js";
import { describePin } from "./pin-comment.js";
import { LABEL_STORAGE, writeFileInstruction } from "./storage.js";
import { fillTemplate } from "./template.js";
import type { RenderOptions, RenderResult } from "./types.js";
import {
  assetDir,
  LAMBDA_ENTRYPOINT,
  needsWrapper,
  planViews,
  VIEW_ROOT,
  type ViewPlan,
  wrapperArgs,
  wrapperRunInstruction,
} from "./wrapper.js";

/**
 * Lambda's limit on the uncompressed image, "10 GB including all layers" (Lambda developer guide,
 * images-create). Taken as decimal GB: it is the smaller reading, so the warning never comes too late.
 */
export const LAMBDA_IMAGE_LIMIT_BYTES = 10 * 1000 ** 3;

const ASSET_STAGE = "mlpack-assets";
export const LAMBDA_TASK_ROOT = "/var/task";

/**
 * Renders the Dockerfile for `lock` from `template`: a pure function of its inputs, so the same lock and
 * options always give the same bytes (golden-tested). Order: asset stage, base, entrypoint wrapper (only for
 * writable or HOME assets), one COPY per asset (with its catalog notes), one ENV block, labels, dependencies,
 * code, ENTRYPOINT, CMD. Every value goes through instructions.ts, so none can add an instruction.
 */
export function renderDockerfile(
  lock: Lock,
  opts: RenderOptions,
  template: string,
  wrapperScript?: string,
): RenderResult {
  const lambda = opts.target === "lambda";
  const withAssets = opts.assets !== false;
  if (opts.base.trim() === "") throw new UsageError("--base is empty");
  const base = fromRef(opts.base);
  const handler = lambda ? parseHandler(opts.handler) : undefined;
  const code = (opts.copy.length > 0 ? opts.copy : lambda ? defaultCodePaths(opts.handler) : []).map((p) =>
    contextPath(p, "--copy"),
  );
  const requirements = opts.requirements ? contextPath(opts.requirements, "--requirements") : undefined;
  const storage = withAssets ? opts.storage : undefined;
  if (withAssets && !storage && !opts.assetImage) throw new UsageError("renderDockerfile: no asset image to copy from");
  const assetRoot =
    (storage?.root ?? (withAssets ? (opts.assetImage?.assetRoot ?? lock.assetRoot) : lock.assetRoot)).replace(/\/+$/, "") ||
    "/";
  // S3: the loader downloads into /tmp, which is writable already, so no asset needs a writable view.
  const layout = storage?.kind === "s3" ? { ...lock, assets: lock.assets.map((a) => ({ ...a, writable: false })) } : lock;
  const planned = withAssets ? planEnv(layout, assetRoot, lambda) : { env: {}, warnings: [] };
  const env = { ...planned.env, ...(storage?.env ?? {}) };
  const warnings = [...planned.warnings];
  const copyFlags = opts.link ? ["--link"] : [];
  const digest = lockDigest(lock);

  const assets = [...lock.assets].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const copies = withAssets && !storage ? assets.map((a) => ({ asset: a.id, path: assetDir(assetRoot, a.target) })) : [];
  const notes: RenderResult["notes"] = [];
  const noted = new Set<string>();
  const assetBlocks = withAssets && !storage
    ? assets.map((asset, i) => {
        const lines = wrapComment(
          `${asset.id} (${asset.library}): ${asset.files} ${asset.files === 1 ? "file" : "files"}, ${formatBytes(asset.bytes)}`,
        );
        // A catalog entry's notes once per library; an asset no built-in entry describes carries its own.
        const entry = getEntry(asset.library);
        const key = entry ? entry.id : `asset:${asset.id}`;
        if (!noted.has(key)) {
          noted.add(key);
          const dir = copies[i]!.path;
          for (const note of entry ? entry.notes : (asset.notes ?? [])) {
            const text = note.replaceAll("{dir}", dir).replaceAll("{parent}", posix.dirname(dir));
            notes.push({ library: entry ? entry.id : asset.library, note: text });
            lines.push(...wrapComment(`NOTE: ${text}`));
          }
        }
        lines.push(copyInstruction([...copyFlags, `--from=${ASSET_STAGE}`], copies[i]!.path, copies[i]!.path));
        return lines.join("\n");
      })
    : [];

  const views = planViews(layout, assetRoot);
  const wrapped = needsWrapper(views);
  if (wrapped && wrapperScript === undefined)
    throw new UsageError("renderDockerfile: the lock has writable or HOME assets but no wrapper script was given");

  const taskRoot = lambda ? (opts.taskRoot ?? LAMBDA_TASK_ROOT) : "/app";
  const workdir = !lambda && (code.length > 0 || requirements) ? ["WORKDIR /app"] : [];
  const deps = requirements
    ? [
        ...wrapComment(`Dependencies: rebuilt only when ${requirements} changes.`),
        ...workdir,
        copyInstruction(copyFlags, requirements, `${taskRoot}/${basename(requirements)}`),
        `RUN ${execForm(["pip", "install", "-r", `${taskRoot}/${basename(requirements)}`, "--no-cache-dir"])}`,
      ]
    : [];
  const codeLines =
    code.length > 0
      ? [
          "# Code last: the only layers an edit to the code rebuilds.",
          ...(requirements ? [] : workdir),
          ...code.map((p) => copyInstruction(copyFlags, p, `${taskRoot}/${p}`)),
        ]
      : [];
  let cmd = lambda ? [opts.handler] : opts.cmd;
  if (handler === undefined && cmd !== undefined && cmd.length === 0) throw new UsageError("--cmd is empty");

  // Setting ENTRYPOINT resets the base's CMD, so with the wrapper the CMD is always written out.
  let entrypoint: string[] | null = null;
  if (wrapped) {
    const original = opts.baseEntrypoint ?? (lambda ? [LAMBDA_ENTRYPOINT] : []);
    if (!lambda && opts.baseEntrypoint === undefined) {
      warnings.push(
        `the base ${opts.base} is not in the local engine, so its ENTRYPOINT is unknown: the entrypoint wrapper runs CMD directly`,
      );
    }
    cmd ??= opts.baseCmd;
    if (!cmd || (cmd.length === 0 && original.length === 0)) {
      throw new UsageError("the entrypoint wrapper needs a command to exec: pass --cmd", {
        hint: `Writable or HOME assets add an ENTRYPOINT, which resets the CMD of ${opts.base}; mlpack cannot read it because the base is not in the local engine.`,
      });
    }
    entrypoint = [...wrapperArgs(views), ...original];
  }

  const assetBytes = withAssets && !storage ? lock.assets.reduce((n, a) => n + a.bytes, 0) : 0;
  const totalBytes = assetBytes + (opts.baseImageBytes ?? 0);
  if (lambda && totalBytes > LAMBDA_IMAGE_LIMIT_BYTES) {
    const unknown = opts.baseImageBytes === undefined ? " (base image size unknown: not present locally)" : "";
    warnings.push(
      `assets (${formatBytes(assetBytes)})${opts.baseImageBytes === undefined ? "" : ` plus the base image (${formatBytes(opts.baseImageBytes)})`} come to ${formatBytes(totalBytes)}, over Lambda's 10 GB uncompressed image limit${unknown}`,
    );
  }
  if (withAssets && !storage && opts.link && opts.assetImage?.pin === "image-id") {
    warnings.push(
      "--link needs BuildKit, which resolves FROM through a registry and cannot use the loaded image's ID: run `mlpack push` first",
    );
  }

  const header = withAssets
    ? [
        `# Generated by mlpack ${commentText(opts.version)} from mlpack.lock.json ${digest}.`,
        ...(storage
          ? wrapComment(
              `Assets: ${storage.kind === "efs" ? `on EFS at ${storage.root}` : `on S3, loaded into ${storage.root} at cold start`} (--storage ${storage.kind}).`,
            )
          : [`# Asset image: ${commentText(opts.assetImage!.name)}`, ...describePin(opts.assetImage!).flatMap((l) => wrapComment(l))]),
        ...(opts.link
          ? wrapComment("COPY --link needs BuildKit (default since Docker 23); the legacy builder ignores it.")
          : []),
        "# Re-run `mlpack dockerfile` after `mlpack discover` / `bundle`; the asset lines follow mlpack.lock.json.",
      ]
    : [
        `# Generated by mlpack ${commentText(opts.version)} (--no-assets) for mlpack.lock.json ${digest}.`,
        "# The app image only: `mlpack assemble --app <this image>` appends the asset layers by reference",
        "# and merges their ENV, so an edit to the code never rebuilds or re-uploads the assets.",
      ];
  const labels = withAssets
    ? `LABEL ${LABEL_LOCK_DIGEST}=${quoteValue(digest)} ${LABEL_ASSET_ROOT}=${quoteValue(assetRoot)}${storage ? ` ${LABEL_STORAGE}=${storage.kind}` : ""}`
    : "";
  // --storage efs|s3: what the function needs to find its assets (and for s3 the loader module) in place of the COPY lines.
  const storageBlock = storage
    ? [
        ...storage.comments.flatMap((c) => wrapComment(c)),
        ...(storage.loader ? [writeFileInstruction(storage.loader.path, storage.loader.source)] : []),
      ].join("\n")
    : "";
  const wrapperBlock = wrapped
    ? [
        ...wrapComment(
          `The entrypoint wrapper: at start it builds ${views.views.length > 0 ? `writable views under ${VIEW_ROOT} for ${views.views.map((v) => v.asset).join(", ")}` : ""}${views.views.length > 0 && views.homes.length > 0 ? " and " : ""}${views.homes.length > 0 ? `links under $HOME for ${views.homes.map((h) => h.asset).join(", ")}` : ""}, then execs the original entrypoint.`,
        ),
        wrapperRunInstruction(wrapperScript!),
      ].join("\n")
    : "";
  const entrypointBlock = entrypoint
    ? [...homeComments(views), `ENTRYPOINT ${execForm(entrypoint)}`].join("\n")
    : "";
  const dockerfile = fillTemplate(template, {
    header: header.join("\n"),
    assetRoot: commentText(assetRoot),
    assetStage: withAssets && !storage ? `FROM ${fromRef(opts.assetImage!.from)} AS ${ASSET_STAGE}` : "",
    base,
    wrapper: wrapperBlock,
    assets: assetBlocks.join("\n\n"),
    storage: storageBlock,
    env: formatEnv(env),
    labels,
    dependencies: deps.join("\n"),
    code: codeLines.join("\n"),
    entrypoint: entrypointBlock,
    cmd: cmd ? `CMD ${execForm(cmd)}` : "",
  });
  return {
    dockerfile,
    env,
    copies,
    code,
    notes,
    assetRoot,
    views: wrapped ? views : { views: [], homes: [] },
    entrypoint,
    size: {
      assetBytes,
      baseBytes: opts.baseImageBytes ?? null,
      totalBytes,
      limitBytes: LAMBDA_IMAGE_LIMIT_BYTES,
    },
    warnings,
  };
}

/** Where each HOME asset appears, said in the file next to the ENTRYPOINT that makes it so. */
function homeComments(views: ViewPlan): string[] {
  return views.homes.flatMap((h) =>
    wrapComment(`${h.asset}: no variable moves it, so $HOME/${h.rel} links to ${h.target} at start.`),
  );
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/**
 * `# text` wrapped at `width` columns, continuation lines indented under the text. Control characters become
 * spaces first: a line break inside a note or a name must not end the comment.
 */
export function wrapComment(text: string, width = 100): string[] {
  const indent = text.startsWith("NOTE: ") ? "#       " : "#   ";
  const lines: string[] = [];
  let line: string | undefined;
  for (const word of commentText(text).split(/\s+/).filter((w) => w !== "")) {
    if (line === undefined) line = `# ${word}`;
    else if (line.length + 1 + word.length > width) {
      lines.push(line);
      line = `${indent}${word}`;
    } else line = `${line} ${word}`;
  }
  if (line !== undefined) lines.push(line);
  return lines;
}
