import { readFile } from "node:fs/promises";
import { UsageError } from "../errors.js";

/** The two Dockerfile flavours mlpack writes. */
export type DockerfileTarget = "lambda" | "generic";

const TEMPLATE_FILES: Record<DockerfileTarget, string> = {
  lambda: "lambda-python.Dockerfile",
  generic: "generic.Dockerfile",
};

/** Reads the template shipped in the package's `templates/` directory (next to `dist/` and `src/`). */
export async function loadTemplate(target: DockerfileTarget): Promise<string> {
  return readFile(new URL(`../../templates/${TEMPLATE_FILES[target]}`, import.meta.url), "utf8");
}

/**
 * Fills `{{name}}` placeholders. A placeholder alone on its line is replaced by a block of lines, and a
 * block that renders empty takes its line with it; a comment line directly above an empty block goes too,
 * so the output never has a heading without content. Runs of blank lines collapse to one, and the result
 * ends with exactly one newline. An unknown placeholder is a bug in the template, not user input.
 */
export function fillTemplate(template: string, values: Readonly<Record<string, string>>): string {
  const lookup = (name: string): string => {
    const value = values[name];
    if (value === undefined) throw new UsageError(`template placeholder {{${name}}} has no value`);
    return value;
  };
  const out: string[] = [];
  for (const line of template.split("\n")) {
    const whole = /^\{\{(\w+)\}\}$/.exec(line.trim());
    if (whole) {
      const block = lookup(whole[1]!);
      if (block === "") {
        while (out.length > 0 && out[out.length - 1]!.startsWith("#") && !isHeader(out)) out.pop();
        continue;
      }
      out.push(...block.split("\n"));
      continue;
    }
    out.push(line.replace(/\{\{(\w+)\}\}/g, (_, name: string) => lookup(name)));
  }
  const collapsed: string[] = [];
  for (const line of out) {
    if (line.trim() === "" && (collapsed.length === 0 || collapsed[collapsed.length - 1]!.trim() === ""))
      continue;
    collapsed.push(line.trimEnd());
  }
  while (collapsed.length > 0 && collapsed[collapsed.length - 1] === "") collapsed.pop();
  return `${collapsed.join("\n")}\n`;
}

/** The header block (a comment run starting at line one) is never dropped with an empty section. */
function isHeader(lines: readonly string[]): boolean {
  return lines.every((l) => l.startsWith("#"));
}
