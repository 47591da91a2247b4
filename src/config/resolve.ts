import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { z } from "zod";
import { ConfigError, UsageError } from "../errors.js";
import { envName, SETTINGS, type SectionName, type SettingSpec } from "./settings.js";
import { checkConfigFile, checkSetting } from "./validate.js";

export type SettingValue = string | number | boolean | string[];
export type SectionValues = Record<string, SettingValue | undefined>;

/** The parsed content of mlpack.json: one optional object per command section. */
export type ConfigFile = Partial<Record<SectionName, SectionValues>>;

function valueSchema(spec: SettingSpec): z.ZodType {
  switch (spec.kind) {
    case "string":
      return z.string();
    case "number":
      return z.number().finite().nonnegative();
    case "boolean":
      return z.boolean();
    case "list":
      return z.array(z.string());
    case "choice":
      return z.enum(spec.choices as [string, ...string[]]);
  }
}

/** Notes for people (JSON has no comments); mlpack ignores them. `mlpack init` writes one per section. */
const COMMENT = z.union([z.string(), z.array(z.string())]).optional();

/**
 * The mlpack.json schema, derived from the settings table. Unknown keys are errors; `null` means "unset"
 * for settings without a default (init writes every key).
 */
export function configSchema(): z.ZodType<ConfigFile> {
  const sections: Record<string, z.ZodType> = { $schema: z.string().optional(), $comment: COMMENT };
  for (const [section, specs] of Object.entries(SETTINGS)) {
    // A command without settings (catalog) has no section in mlpack.json.
    if (specs.length === 0) continue;
    const shape: Record<string, z.ZodType> = { $comment: COMMENT };
    for (const spec of specs) {
      if (spec.inConfig === false) continue;
      const value = valueSchema(spec);
      shape[spec.key] = (spec.default === undefined ? value.nullable() : value).optional();
    }
    sections[section] = z.strictObject(shape).optional();
  }
  return z.strictObject(sections) as unknown as z.ZodType<ConfigFile>;
}

/**
 * Reads and validates a config file. `explicit` means the user named it (--config), so a missing file is an
 * error; the default ./mlpack.json is simply optional.
 */
export async function loadConfigFile(path: string, explicit: boolean): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT" && !explicit) return {};
    throw new ConfigError(`cannot read config file ${path}`, {
      cause: error,
      hint: "Check the --config path.",
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${path} is not valid JSON: ${(error as Error).message}`, {
      hint: "Fix the syntax, or run `mlpack init --force` to write a fresh one.",
    });
  }
  const parsed = configSchema().safeParse(raw);
  if (parsed.success) {
    checkConfigFile(parsed.data, path, SETTINGS);
    return parsed.data;
  }
  const issue = parsed.error.issues[0]!;
  const base = issue.path.map(String).join(".");
  if (issue.code === "unrecognized_keys") {
    const key = base ? `${base}.${issue.keys[0]}` : String(issue.keys[0]);
    const section = issue.path[0] as SectionName | undefined;
    const valid = section ? validKeys(section) : Object.keys(SETTINGS).join(", ");
    throw new ConfigError(`${path}: unknown key "${key}"`, { hint: `Valid keys here: ${valid}.` });
  }
  throw new ConfigError(`${path}: key "${base}" ${describeIssue(issue)}`, {
    hint: `See \`mlpack ${String(issue.path[0] ?? "")} --help\` for the expected value.`,
  });
}

function validKeys(section: SectionName): string {
  return (SETTINGS[section] ?? [])
    .filter((s) => s.inConfig !== false)
    .map((s) => s.key)
    .join(", ");
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_type") return `must be ${issue.expected}`;
  if (issue.code === "invalid_value")
    return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
  return `is invalid: ${issue.message}`;
}

/** Converts an MLPACK_* string into the setting's type, naming the variable on failure. */
export function parseEnvValue(spec: SettingSpec, name: string, raw: string): SettingValue {
  switch (spec.kind) {
    case "string":
      return raw;
    case "number": {
      const n = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(n) || n < 0)
        throw new UsageError(`${name}=${raw} is not a number`);
      return n;
    }
    case "boolean":
      if (/^(1|true|yes|on)$/i.test(raw)) return true;
      if (/^(0|false|no|off)?$/i.test(raw)) return false;
      throw new UsageError(`${name}=${raw} is not a boolean`, { hint: "Use 1/0 or true/false." });
    case "list":
      return raw.split(",").filter((s) => s.length > 0);
    case "choice":
      if (!spec.choices?.includes(raw)) {
        throw new UsageError(`${name}=${raw} is not one of ${spec.choices?.join(", ")}`);
      }
      return raw;
  }
}

export interface ResolveInput {
  section: SectionName;
  file: ConfigFile;
  env: NodeJS.ProcessEnv;
  /** Values given on the command line; undefined = not given. */
  flags: SectionValues;
}

/** Precedence for every setting: built-in default < mlpack.json < MLPACK_* environment < flag. */
export function resolveSection(input: ResolveInput): SectionValues {
  const out: SectionValues = {};
  for (const spec of SETTINGS[input.section]) {
    const fromFile =
      spec.inConfig === false ? undefined : (input.file[input.section]?.[spec.key] ?? undefined);
    const name = envName(input.section, spec.key);
    const rawEnv = input.env[name];
    const fromEnv = rawEnv === undefined ? undefined : parseEnvValue(spec, name, rawEnv);
    const fromFlag = input.flags[spec.key];
    checkSetting(input.section, spec, fromEnv, { kind: "env", name });
    checkSetting(input.section, spec, fromFlag, { kind: "flag", flag: flagName(spec) });
    const def = spec.default === undefined ? undefined : structuredClone(spec.default as SettingValue);
    out[spec.key] = fromFlag ?? fromEnv ?? fromFile ?? def;
  }
  return out;
}

/** `-o, --output <file>` → `--output`. */
function flagName(spec: SettingSpec): string {
  return /--[a-z0-9-]+/.exec(spec.flags)?.[0] ?? spec.key;
}

/** Where mlpack.json is looked for. */
export function configPath(cwd: string, explicit: string | undefined): { path: string; explicit: boolean } {
  return explicit
    ? { path: resolve(cwd, explicit), explicit: true }
    : { path: join(cwd, "mlpack.json"), explicit: false };
}
