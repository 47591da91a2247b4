import { LABEL_ASSET_ROOT, LABEL_LOCK_DIGEST } from "../bundle/bundle.js";
import { getEntry } from "../catalog/index.js";
import { UsageError } from "../errors.js";
import type { Lock, LockAsset } from "../lock/lock.js";
import { lockDigest } from "../lock/lock-digest.js";
import { formatBytes } from "../util/format-bytes.js";
import { contextPath, copyInstruction, defaultCodePaths, parseHandler } from "./code-paths.js";
import { formatEnv, planEnv, quoteValue } from "./env-block.js";
import { describePin } from "./pin-comment.js";
import { LABEL_STORAGE, writeFileInstruction } from "./storage.js";
import { fillTemplate } from "./template.js";
import type { RenderOptions, RenderResult } from "./types.js";

/**
 * Lambda's limit on the uncompressed image, "10 GB including all layers" (Lambda developer guide,
 * images-create). Taken as decimal GB: it is the smaller reading, so the warning never comes too late.
 */
export const LAMBDA_IMAGE_LIMIT_BYTES = 10 * 1000 ** 3;

const ASSET_STAGE = "mlpack-assets";

/**
 * Renders the Dockerfile for `lock` from `template`: a pure function of its inputs, so the same lock and
 * options always give the same bytes (golden-tested). Order: asset stage, base, one COPY per asset (with
 * its catalog notes), one ENV block, labels, dependencies, code, CMD.
 */
export function renderDockerfile(lock: Lock, opts: RenderOptions, template: string): RenderResult {
  const lambda = opts.target === "lambda";
  if (opts.base.trim() === "") throw new UsageError("--base is empty");
  const handler = lambda ? parseHandler(opts.handler) : undefined;
  const code = (opts.copy.length > 0 ? opts.copy : lambda ? defaultCodePaths(opts.handler) : []).map((p) =>
    contextPath(p, "--copy"),
  );
  const requirements = opts.requirements ? contextPath(opts.requirements, "--requirements") : undefined;
  const storage = opts.storage;
  const image = opts.assetImage;
  if (!storage && !image) throw new UsageError("renderDockerfile: no asset image to copy from");
  const assetRoot = (storage?.root ?? image?.assetRoot ?? lock.assetRoot).replace(/\/+$/, "") || "/";
  const { env, warnings } = planEnv(lock, assetRoot, lambda);
  if (storage) Object.assign(env, storage.env);
  const copyFlags = opts.link ? ["--link"] : [];
  const digest = lockDigest(lock);

  const assets = [...lock.assets].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const copies = storage ? [] : assets.map((a) => ({ asset: a.id, path: joinRoot(assetRoot, a.target) }));
  const notes: RenderResult["notes"] = [];
  const noted = new Set<string>();
  const assetBlocks = (storage ? [] : assets).map((asset, i) => {
    const lines = [
      `# ${asset.id} (${asset.library}): ${asset.files} ${asset.files === 1 ? "file" : "files"}, ${formatBytes(asset.bytes)}`,
    ];
    const entry = getEntry(asset.library);
    if (entry && !noted.has(entry.id)) {
      noted.add(entry.id);
      for (const note of entry.notes) {
        const text = note.replaceAll("{dir}", copies[i]!.path);
        notes.push({ library: entry.id, note: text });
        lines.push(...wrapComment(`NOTE: ${text}`));
      }
    }
    lines.push(copyInstruction([...copyFlags, `--from=${ASSET_STAGE}`], copies[i]!.path, copies[i]!.path));
    return lines.join("\n");
  });

  const taskRoot = lambda ? "${LAMBDA_TASK_ROOT}" : "/app";
  const workdir = !lambda && (code.length > 0 || requirements) ? ["WORKDIR /app"] : [];
  const deps = requirements
    ? [
        `# Dependencies: rebuilt only when ${requirements} changes.`,
        ...workdir,
        copyInstruction(copyFlags, requirements, `${taskRoot}/${basename(requirements)}`),
        `RUN pip install -r ${taskRoot}/${basename(requirements)} --no-cache-dir`,
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
  const cmd = lambda ? [opts.handler] : opts.cmd;
  if (handler === undefined && cmd !== undefined && cmd.length === 0) throw new UsageError("--cmd is empty");

  const assetBytes = storage ? 0 : lock.assets.reduce((n, a) => n + a.bytes, 0);
  const totalBytes = assetBytes + (opts.baseImageBytes ?? 0);
  if (lambda && totalBytes > LAMBDA_IMAGE_LIMIT_BYTES) {
    const base = opts.baseImageBytes === undefined ? " (base image size unknown: not present locally)" : "";
    warnings.push(
      `assets (${formatBytes(assetBytes)})${opts.baseImageBytes === undefined ? "" : ` plus the base image (${formatBytes(opts.baseImageBytes)})`} come to ${formatBytes(totalBytes)}, over Lambda's 10 GB uncompressed image limit${base}`,
    );
  }
  if (!storage && opts.link && image?.pin === "image-id") {
    warnings.push(
      "--link needs BuildKit, which resolves FROM through a registry and cannot use the loaded image's ID: run `mlpack push` first",
    );
  }

  const header = [
    `# Generated by mlpack ${opts.version} from mlpack.lock.json ${digest}.`,
    ...(storage
      ? wrapComment(`Assets: ${storage.kind === "efs" ? `on EFS at ${storage.root}` : `on S3, loaded into ${storage.root} at cold start`} (--storage ${storage.kind}).`)
      : [`# Asset image: ${image!.name}`, ...describePin(image!).flatMap((l) => wrapComment(l))]),
    ...(opts.link
      ? wrapComment("COPY --link needs BuildKit (default since Docker 23); the legacy builder ignores it.")
      : []),
    "# Re-run `mlpack dockerfile` after `mlpack discover` / `bundle`; the asset lines follow mlpack.lock.json.",
  ];
  const labels = `LABEL ${LABEL_LOCK_DIGEST}=${quoteValue(digest)} ${LABEL_ASSET_ROOT}=${quoteValue(assetRoot)}${storage ? ` ${LABEL_STORAGE}=${storage.kind}` : ""}`;
  // --storage efs|s3: what the function needs to find its assets, and for s3 the loader module, in place of the COPY lines.
  const storageBlock = storage
    ? [...storage.comments.flatMap((c) => wrapComment(c)), ...(storage.loader ? [writeFileInstruction(storage.loader.path, storage.loader.source)] : [])]
    : [];
  const dockerfile = fillTemplate(template, {
    header: header.join("\n"),
    assetRoot,
    assetStage: storage ? "" : `FROM ${image!.from} AS ${ASSET_STAGE}`,
    base: opts.base,
    assets: storage ? storageBlock.join("\n") : assetBlocks.join("\n\n"),
    env: formatEnv(env),
    labels,
    dependencies: deps.join("\n"),
    code: codeLines.join("\n"),
    cmd: cmd ? `CMD [${cmd.map((w) => JSON.stringify(w)).join(", ")}]` : "",
  });
  return {
    dockerfile,
    env,
    copies,
    code,
    notes,
    assetRoot,
    size: {
      assetBytes,
      baseBytes: opts.baseImageBytes ?? null,
      totalBytes,
      limitBytes: LAMBDA_IMAGE_LIMIT_BYTES,
    },
    warnings,
  };
}

function joinRoot(root: string, target: LockAsset["target"]): string {
  return root === "/" ? `/${target}` : `${root}/${target}`;
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** `# text` wrapped at `width` columns, continuation lines indented under the text. */
export function wrapComment(text: string, width = 100): string[] {
  const indent = text.startsWith("NOTE: ") ? "#       " : "#   ";
  const lines: string[] = [];
  let line: string | undefined;
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    if (line === undefined) line = `# ${word}`;
    else if (line.length + 1 + word.length > width) {
      lines.push(line);
      line = `${indent}${word}`;
    } else line = `${line} ${word}`;
  }
  if (line !== undefined) lines.push(line);
  return lines;
}
