import { z } from "zod";
import { configSchema } from "../../config/resolve.js";
import { envName, SETTINGS, type SectionName, type SettingSpec } from "../../config/settings.js";

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The long flag of a setting: "-o, --output <file>" → "--output"; "--no-color" stays as typed. */
export function longFlag(spec: SettingSpec): string {
  const long = spec.flags.split(/[ ,]+/).find((part) => part.startsWith("--"));
  return long ?? "";
}

/** One sentence for editors' hover text: what it does, its flag, its variable, its default. */
export function settingHelp(section: SectionName, spec: SettingSpec): string {
  const flag = longFlag(spec);
  const via = [flag ? `flag ${flag}` : "the words after --", `env ${envName(section, spec.key)}`];
  const def = spec.default === undefined ? "unset by default" : `default ${JSON.stringify(spec.default)}`;
  return `${spec.description}; ${via.join(", ")}; ${def}.`;
}

/**
 * JSON Schema of mlpack.json: `configSchema()` converted as is (so it accepts exactly what mlpack does),
 * then annotated from the settings table with a description and default per key, which editors show on
 * hover through the file's `$schema`.
 */
export function mlpackConfigJsonSchema(): JsonObject {
  // Input mode: what a user may write (catalog entries' env, writable and notes have defaults).
  const schema = z.toJSONSchema(configSchema(), { io: "input" }) as JsonObject;
  schema.title = "mlpack.json";
  schema.description =
    "mlpack project config. Precedence: built-in default < mlpack.json < MLPACK_* environment < flag.";
  const sections = isObject(schema.properties) ? schema.properties : {};
  for (const [section, specs] of Object.entries(SETTINGS) as [SectionName, readonly SettingSpec[]][]) {
    const node = sections[section];
    if (!isObject(node)) continue;
    if (section === "catalog") {
      node.description = "your own catalog entries, shaped like the built-in ones; `mlpack catalog` lists both";
      continue;
    }
    node.description = section === "global" ? "options of every command" : `settings of mlpack ${section}`;
    const props = isObject(node.properties) ? node.properties : {};
    for (const spec of specs) {
      const prop = props[spec.key];
      if (!isObject(prop)) continue;
      prop.description = settingHelp(section, spec);
      if (spec.default !== undefined) prop.default = spec.default;
    }
  }
  return schema;
}
