import { basename } from "node:path";
import { shellSplit } from "../dockerfile/shell-split.js";
import { ConfigError, UsageError } from "../errors.js";
import {
  absoluteNormalised,
  type Check,
  handlerName,
  imageRef,
  maxLength,
  noControl,
  noGlob,
  noNul,
  notEmpty,
  pathFits,
  projectRelative,
  showValue,
  singleLine,
  slug,
  violation,
} from "../util/value-rules.js";
import type { ConfigFile, SettingValue } from "./resolve.js";
import type { SectionName, SettingSpec } from "./settings.js";

/**
 * Value rules for settings that reach a Dockerfile, a tar name, a path or a shell, applied to every source
 * (mlpack.json, MLPACK_*, flags). The schema in resolve.ts checks types; this checks content. A string
 * setting not listed here may still not hold NUL (every path and exec argument would break on it).
 */
const RULES: Readonly<Record<string, readonly Check[]>> = {
  "discover.workdir": [absoluteNormalised],
  "discover.image": [imageRef],
  "discover.writable": [slug],
  "bundle.assetRoot": [absoluteNormalised],
  "bundle.layout": [notEmpty, noControl, pathFits],
  "bundle.tag": [imageRef],
  "dockerfile.assetImage": [imageRef],
  "dockerfile.base": [imageRef],
  "dockerfile.handler": [handlerName],
  "dockerfile.requirements": [notEmpty, noControl, noGlob, pathFits],
  "dockerfile.copy": [notEmpty, noControl, noGlob, pathFits],
  "dockerfile.cmd": [singleLine, maxLength(32_768), shellWords],
  "dockerfile.output": [notEmpty, noControl, pathFits],
};

/** `--cmd` is split like a shell would split it (never run by one): quotes must be balanced. */
function shellWords(value: string): string | undefined {
  try {
    return shellSplit(value).length === 0 ? "must name a command" : undefined;
  } catch (error) {
    return (error as Error).message.replace(/^--cmd /, "").replace(/: .*$/s, "");
  }
}

/**
 * Extra rules for values read from mlpack.json, which is committed and so as untrusted as a pull request:
 * paths there stay inside the project. Only the command line (or MLPACK_*, set by whoever runs mlpack) may
 * name a path elsewhere.
 */
const FILE_RULES: Readonly<Record<string, readonly Check[]>> = {
  "bundle.layout": [projectRelative],
  "dockerfile.requirements": [projectRelative],
  "dockerfile.copy": [projectRelative],
  "dockerfile.output": [projectRelative],
};

/** Numeric settings whose range is a product rule, not only a type. */
const NUMBER_RULES: Readonly<Record<string, (n: number) => string | undefined>> = {
  "verify.uid": (n) =>
    n === 0
      ? "must not be 0: Lambda never runs a function as root"
      : !Number.isInteger(n) || n < 1 || n > 2_147_483_646
        ? "must be a whole number from 1 to 2147483646"
        : undefined,
  "verify.tmpSize": (n) => (n < 1 || n > 10_240 ? "must be from 1 to 10240 (MB)" : undefined),
  "verify.timeout": (n) => (n <= 0 ? "must be more than 0 seconds" : undefined),
};

export type ValueOrigin = { kind: "file"; file: string } | { kind: "flag"; flag: string } | { kind: "env"; name: string };

function where(section: SectionName, key: string, origin: ValueOrigin): string {
  switch (origin.kind) {
    case "file":
      return `${basename(origin.file)}: ${section}.${key}`;
    case "flag":
      return origin.flag;
    case "env":
      return origin.name;
  }
}

/** The violation of one value of one setting, or undefined. */
export function settingViolation(
  section: SectionName,
  key: string,
  value: SettingValue,
  fromFile: boolean,
): { value: string | number; rule: string } | undefined {
  const id = `${section}.${key}`;
  if (typeof value === "number") {
    const rule = NUMBER_RULES[id]?.(value);
    return rule ? { value, rule } : undefined;
  }
  const strings = typeof value === "string" ? [value] : Array.isArray(value) ? value : [];
  const checks = [noNul, ...(RULES[id] ?? []), ...(fromFile ? (FILE_RULES[id] ?? []) : [])];
  for (const s of strings) {
    const rule = violation(s, checks);
    if (rule) return { value: s, rule };
  }
  return undefined;
}

/** Throws exit 2 naming the source (file and key, flag or variable), the value and the rule. */
export function checkSetting(
  section: SectionName,
  spec: SettingSpec,
  value: SettingValue | undefined,
  origin: ValueOrigin,
): void {
  if (value === undefined) return;
  const bad = settingViolation(section, spec.key, value, origin.kind === "file");
  if (!bad) return;
  const message = `${where(section, spec.key, origin)} ${showValue(bad.value)}: ${bad.rule}`;
  if (origin.kind === "file") {
    throw new ConfigError(message, {
      hint: `Fix ${section}.${spec.key} in ${origin.file}; see \`mlpack ${section} --help\`.`,
    });
  }
  throw new UsageError(message, { hint: `See \`mlpack ${section} --help\` for the expected value.` });
}

/** Applies the value rules to every setting of a parsed mlpack.json. */
export function checkConfigFile(file: ConfigFile, path: string, settings: Readonly<Record<string, readonly SettingSpec[]>>): void {
  for (const [section, specs] of Object.entries(settings)) {
    const values = file[section as SectionName];
    if (!values) continue;
    for (const spec of specs) {
      const value = values[spec.key];
      if (value === null) continue;
      checkSetting(section as SectionName, spec, value, { kind: "file", file: path });
    }
  }
}
