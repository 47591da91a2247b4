import { access, readFile } from "node:fs/promises";
import { join } from "node:path";
import { UsageError } from "../errors.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { CONFIG_SCHEMA_FILE, renderConfig } from "./config-template.js";
import { type CiProvider, renderWorkflow } from "./workflow-template.js";

export interface InitOptions {
  projectDir: string;
  ci?: CiProvider;
  force: boolean;
  /** mlpack's version, pinned in the workflow and the schema URL. */
  version: string;
}

export interface InitFile {
  /** Absolute path. */
  path: string;
  kind: "config" | "schema" | "workflow";
  action: "created" | "overwritten";
}

export interface InitResult {
  files: InitFile[];
  ci: CiProvider | null;
}

/** schemas/ sits next to dist/ in the repository and in the npm package alike (package.json `files`). */
const CONFIG_SCHEMA = new URL("../../schemas/mlpack.schema.json", import.meta.url);

async function shippedConfigSchema(): Promise<string> {
  try {
    return await readFile(CONFIG_SCHEMA, "utf8");
  } catch (error) {
    throw new UsageError("schemas/mlpack.schema.json is missing from this mlpack installation", {
      code: "E_TEMPLATE_MISSING",
      cause: error,
      hint: "Reinstall mlpack; schemas/ ships with the package.",
    });
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * Writes mlpack.json and, with `ci`, the provider's workflow. Every target is checked before anything is
 * written, so a refusal (an existing file without `force`) leaves the project exactly as it was.
 */
export async function init(opts: InitOptions): Promise<InitResult> {
  const planned: { path: string; kind: InitFile["kind"]; content: string }[] = [
    { path: join(opts.projectDir, "mlpack.json"), kind: "config", content: renderConfig(opts.version) },
    { path: join(opts.projectDir, CONFIG_SCHEMA_FILE), kind: "schema", content: await shippedConfigSchema() },
  ];
  if (opts.ci) {
    const workflow = await renderWorkflow(opts.ci, opts.version);
    planned.push({ path: join(opts.projectDir, workflow.path), kind: "workflow", content: workflow.content });
  }
  const present = await Promise.all(planned.map((p) => exists(p.path)));
  const clashes = planned.filter((_p, i) => present[i]).map((p) => p.path);
  if (clashes.length > 0 && !opts.force) {
    throw new UsageError(`refusing to overwrite ${clashes.join(" and ")}`, {
      code: "E_FILE_EXISTS",
      hint: "Nothing was written. Pass --force to overwrite.",
      details: { existing: clashes },
    });
  }
  const files: InitFile[] = [];
  for (const [i, p] of planned.entries()) {
    await writeFileAtomic(p.path, p.content);
    files.push({ path: p.path, kind: p.kind, action: present[i] ? "overwritten" : "created" });
  }
  return { files, ci: opts.ci ?? null };
}
