import { readFile } from "node:fs/promises";
import { UsageError } from "../errors.js";

export type CiProvider = "github" | "gitlab";

export interface WorkflowFile {
  /** Path relative to the project root, POSIX separators. */
  path: string;
  content: string;
}

/** Where each provider reads its pipeline from, and the template (under templates/ci/) it is made of. */
export const WORKFLOWS: Record<CiProvider, { path: string; template: string }> = {
  github: { path: ".github/workflows/mlpack.yml", template: "github.yml" },
  gitlab: { path: ".gitlab-ci.yml", template: "gitlab.yml" },
};

/** templates/ sits next to src/ and dist/ in the repository and in the npm package alike. */
const TEMPLATE_DIR = new URL("../../templates/ci/", import.meta.url);

export function isCiProvider(value: string): value is CiProvider {
  return Object.hasOwn(WORKFLOWS, value);
}

/** Fills `{{NAME}}` placeholders; an unknown placeholder is a bug in the template, not silently kept. */
export function fillPlaceholders(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`CI template placeholder {{${name}}} has no value`);
    return value;
  });
}

/** The workflow file for a provider, pinned to the mlpack version that wrote it. */
export async function renderWorkflow(provider: CiProvider, version: string): Promise<WorkflowFile> {
  const spec = WORKFLOWS[provider];
  let template: string;
  try {
    template = await readFile(new URL(spec.template, TEMPLATE_DIR), "utf8");
  } catch (error) {
    throw new UsageError(`the ${provider} CI template is missing from this mlpack installation`, {
      code: "E_TEMPLATE_MISSING",
      cause: error,
      hint: "Reinstall mlpack; templates/ci/ ships with the package.",
    });
  }
  return { path: spec.path, content: fillPlaceholders(template, { MLPACK_VERSION: version }) };
}
