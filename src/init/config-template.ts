import { envName, SETTINGS, type SectionName, type SettingSpec } from "../config/settings.js";

/**
 * The JSON Schema of mlpack.json that `init` copies into the project, next to mlpack.json, from the installed
 * package. mlpack is not on a public registry, so no URL could serve it; a path into the installation would
 * differ per machine; a committed copy resolves in every editor, offline, and matches the mlpack that wrote it.
 */
export const CONFIG_SCHEMA_FILE = "mlpack.schema.json";

/** The `$schema` value mlpack.json carries: relative to the file itself. */
export const CONFIG_SCHEMA_REF = `./${CONFIG_SCHEMA_FILE}`;

/** The settings a user can put in mlpack.json, per section (sections with none are left out). */
export function configurableSettings(): [SectionName, SettingSpec[]][] {
  const out: [SectionName, SettingSpec[]][] = [];
  for (const [section, specs] of Object.entries(SETTINGS) as [SectionName, readonly SettingSpec[]][]) {
    const settable = specs.filter((s) => s.inConfig !== false);
    if (settable.length > 0) out.push([section, settable]);
  }
  return out;
}

function flagOf(spec: SettingSpec): string | undefined {
  return spec.flags.split(/[ ,]+/).find((p) => p.startsWith("--"));
}

/** One comment line per key: what it does, the flag and variable that override it, and what null means. */
function commentLine(section: SectionName, spec: SettingSpec): string {
  const flag = flagOf(spec);
  const via = [flag, envName(section, spec.key)].filter((v) => v !== undefined).join(", ");
  // A --no-x flag describes turning the setting off; the key itself is on by default.
  const what = flag?.startsWith("--no-") ? `false to ${spec.description}` : spec.description;
  const unset = spec.default === undefined ? " null = unset." : "";
  return `${spec.key}: ${what} (${via}).${unset}`;
}

/**
 * The document `mlpack init` writes: every settable key with its built-in default, or `null` (= unset) for
 * keys without one, and a `$comment` per section explaining each key. JSON has no comments, so the
 * explanations live in `$comment` values that mlpack ignores, and in the schema's hover text.
 */
export function initialConfig(version: string): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    $schema: CONFIG_SCHEMA_REF,
    $comment: [
      `mlpack project config, written by \`mlpack init\` (mlpack ${version}). Every key shows its built-in default.`,
      "Precedence: built-in default < this file < MLPACK_* environment < command-line flag.",
      "Set discover.command (and discover.image: an image with your Python dependencies) first.",
    ],
  };
  for (const [section, specs] of configurableSettings()) {
    const body: Record<string, unknown> = { $comment: specs.map((s) => commentLine(section, s)) };
    for (const spec of specs) body[spec.key] = spec.default === undefined ? null : spec.default;
    doc[section] = body;
  }
  return doc;
}

/** The exact bytes of the file: 2-space JSON with a newline at the end. */
export function renderConfig(version: string): string {
  return `${JSON.stringify(initialConfig(version), null, 2)}\n`;
}
