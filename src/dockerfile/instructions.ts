import { UsageError } from "../errors.js";
import { envName, imageRef, noControl, noGlob, singleLine } from "../util/value-rules.js";

/**
 * Writers for the parts of a Dockerfile that carry values. They cannot be broken by a value even when the
 * caller skipped validation (config/validate.ts, lock/lock-rules.ts): what Docker has no way to quote (a FROM
 * reference, an ENV name, a line break anywhere) is refused, everything else is escaped or in JSON form.
 */
function refuse(what: string, value: string, rule: string): never {
  throw new UsageError(`refusing to render ${what} ${JSON.stringify(value)}: ${rule}`, {
    code: "E_UNSAFE_VALUE",
    hint: "The value came from mlpack.json, mlpack.lock.json or a flag; fix it there.",
  });
}

/** A FROM reference: Docker has no quoting for it, so anything but a plain reference is refused. */
export function fromRef(ref: string): string {
  const bad = imageRef(ref);
  if (bad) refuse("the image reference", ref, bad);
  return ref;
}

/** An ENV name as is (names cannot be quoted). */
export function envKey(name: string): string {
  const bad = envName(name);
  if (bad) refuse("the variable name", name, bad);
  return name;
}

/** A value the Dockerfile parser takes literally without quotes. */
const BARE = /^[A-Za-z0-9_./:@%+,=-]+$/;

/**
 * An ENV or LABEL value: bare when safe, else double-quoted with `\`, `"` and `$` escaped (the builder would
 * expand `$HOME`). A line break cannot be written at all and is refused.
 */
export function quoteValue(value: string): string {
  const bad = singleLine(value);
  if (bad) refuse("the value", value, bad);
  if (BARE.test(value)) return value;
  return `"${value.replace(/[\\"$]/g, (c) => `\\${c}`)}"`;
}

/** One `ENV` instruction, one variable per continued line, so a diff shows exactly which variable changed. */
export function formatEnv(env: Readonly<Record<string, string>>): string {
  const entries = Object.entries(env);
  if (entries.length === 0) return "";
  const lines = entries.map(([k, v]) => `${envKey(k)}=${quoteValue(v)}`);
  return `ENV ${lines.join(" \\\n    ")}`;
}

/**
 * A COPY argument in JSON form. The legacy builder and BuildKit run every COPY word, JSON or not, through
 * their shell-word processor after decoding it, so `$`, quotes and `\` are backslash-escaped before the JSON
 * encoding (`a$HOME` → `"a\\$HOME"`). Globs cannot be escaped for a literal lookup and are refused.
 */
function copyWord(path: string): string {
  const bad = noControl(path) ?? noGlob(path);
  if (bad) refuse("the COPY path", path, bad);
  return JSON.stringify(path.replace(/[\\$"']/g, (c) => `\\${c}`));
}

/** `COPY [flags] src dest`, in the JSON form when a path has anything beyond plain path characters. */
export function copyInstruction(flags: readonly string[], src: string, dest: string): string {
  const prefix = ["COPY", ...flags].join(" ");
  if (BARE.test(src) && BARE.test(dest)) return `${prefix} ${src} ${dest}`;
  return `${prefix} [${copyWord(src)}, ${copyWord(dest)}]`;
}

/** An exec-form argument list (`CMD`, `ENTRYPOINT`, `RUN`): no shell and no variable expansion sees it. */
export function execForm(words: readonly string[]): string {
  for (const w of words) if (w.includes("\u0000")) refuse("the argument", w, "must not contain NUL");
  return `[${words.map((w) => JSON.stringify(w)).join(", ")}]`;
}

/** Text for a `#` comment: every control character (a line break would end the comment) becomes a space. */
export function commentText(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029\u0085]+/g, " ");
}
