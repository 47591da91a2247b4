import { Command, type CommanderError, Help, Option } from "commander";
import { parseNumberSetting, type SectionValues } from "../config/resolve.js";
import { envName, numberRule, SETTINGS, type SectionName, type SettingSpec } from "../config/settings.js";
import { COMMANDS, type CommandSpec } from "./commands/index.js";

export interface ParsedInvocation {
  command: CommandSpec;
  /** Values the user typed for this command's settings (undefined when not given). */
  flags: SectionValues;
  /** Values the user typed for global settings. */
  globalFlags: SectionValues;
  args: string[];
}

/** Where commander writes help (stdout for --help, stderr when help explains a usage error). */
export interface ProgramIo {
  writeOut(text: string): void;
  writeErr(text: string): void;
}

/** A commander error, tagged with the subcommand whose parsing failed (undefined: the program's own). */
export type TaggedCommanderError = CommanderError & { mlpackCommand?: string };

/** `mlpack discover --help`, or `mlpack --help` for the program's own options. */
export function helpCommand(section: SectionName | undefined): string {
  return section === undefined || section === "global" ? "mlpack --help" : `mlpack ${section} --help`;
}

function toOption(section: SectionName, spec: SettingSpec): Option {
  const option = new Option(spec.flags, spec.description);
  if (spec.kind === "choice" && spec.choices) option.choices(spec.choices);
  if (spec.kind === "number") {
    const flag = spec.flags.split(" ")[0] ?? spec.flags;
    option.argParser((raw: string) =>
      parseNumberSetting(spec, `${flag} ${raw}`, raw, `See \`${helpCommand(section)}\`.`),
    );
  }
  if (spec.kind === "list") {
    option.argParser((raw: string, previous: string[] | undefined) => [...(previous ?? []), raw]);
  }
  return option;
}

function negation(spec: SettingSpec): Option {
  const flag = spec.flags.replace(/^--/, "--no-");
  return new Option(flag, `do not ${spec.description.replace(/ \(default\)$/, "")}`);
}

/** Only values the user typed count as flags; commander's implied defaults must not beat mlpack.json. */
function typedValues(cmd: Command, specs: readonly SettingSpec[]): SectionValues {
  const values: SectionValues = {};
  const opts = cmd.opts();
  for (const spec of specs) {
    if (cmd.getOptionValueSource(spec.key) === "cli") values[spec.key] = opts[spec.key];
  }
  return values;
}

/** "(one of docker, local; default docker)": what `--help` adds to a flag, from the settings table. */
export function helpSuffix(spec: SettingSpec): string {
  const parts: string[] = [];
  if (spec.kind === "choice" && spec.choices) parts.push(`one of ${spec.choices.join(", ")}`);
  if (spec.kind === "number") parts.push(numberRule(spec));
  const shown =
    spec.default === undefined ||
    spec.kind === "boolean" ||
    (Array.isArray(spec.default) && spec.default.length === 0)
      ? undefined
      : String(spec.default);
  if (shown !== undefined) parts.push(`default ${shown}`);
  return parts.length > 0 ? ` (${parts.join("; ")})` : "";
}

/** Help that shows each flag's range and default from the settings table, not commander's own notes. */
class SettingsHelp extends Help {
  constructor(private readonly specs: ReadonlyMap<Option, SettingSpec>) {
    super();
  }

  override optionDescription(option: Option): string {
    const spec = this.specs.get(option);
    return spec ? `${option.description}${helpSuffix(spec)}` : super.optionDescription(option);
  }
}

function settingsFooter(section: SectionName): string {
  const specs = SETTINGS[section].filter((s) => s.inConfig !== false && s.flags !== "");
  const example = specs[0];
  if (!example) return "";
  return `\nEvery flag also has a key in mlpack.json (e.g. ${section}.${example.key}) and an environment variable (e.g. ${envName(section, example.key)}); a flag wins over the variable, which wins over the file.`;
}

/**
 * Builds a fresh commander program (one per invocation, so tests can build many). Help, flags and config keys
 * all come from the settings table.
 */
export function buildProgram(
  version: string,
  onInvoke: (parsed: ParsedInvocation) => void,
  io: ProgramIo = {
    writeOut: (s) => process.stdout.write(s),
    writeErr: (s) => process.stderr.write(s),
  },
): Command {
  const specs = new Map<Option, SettingSpec>();
  const help = new SettingsHelp(specs);
  // Errors are rendered once, by the CLI's error handler; commander only writes help.
  const output = { writeOut: io.writeOut, writeErr: io.writeErr, outputError: () => {} };
  const program = new Command("mlpack")
    .description("Package the hidden asset caches of Python ML code into Docker asset images for AWS Lambda.")
    .version(version, "-V, --version")
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput(output);
  program.createHelp = () => help;
  // Program options are recognised before and after the subcommand name (commander's default).
  for (const spec of SETTINGS.global) {
    const option = toOption("global", spec);
    specs.set(option, spec);
    program.addOption(option);
  }
  program.addHelpText(
    "after",
    `\nExamples:\n  mlpack discover --runner local -- python app.py\n  mlpack bundle && mlpack push --repository my-model-assets\n  mlpack discover --help\n\nExit codes: 0 ok, 1 check failed, 2 usage or config error, 3 Docker unreachable, 4 model command failed, 5 registry error, 130 interrupted.`,
  );

  for (const spec of COMMANDS) {
    const section = spec.name as SectionName;
    const sub = program
      .command(spec.usage)
      .description(spec.summary)
      .exitOverride((error) => {
        throw Object.assign(error, { mlpackCommand: spec.name });
      });
    sub.configureOutput(output);
    sub.createHelp = () => Object.assign(new SettingsHelp(specs), { showGlobalOptions: true });
    for (const setting of SETTINGS[section]) {
      if (setting.flags === "") continue;
      const option = toOption(section, setting);
      specs.set(option, setting);
      sub.addOption(option);
      if (setting.negatable) sub.addOption(negation(setting));
    }
    const after = [spec.helpAfter, settingsFooter(section).trimStart()].filter((t) => t);
    if (after.length > 0) sub.addHelpText("after", `\n${after.join("\n\n")}`);
    sub.action((...actionArgs: unknown[]) => {
      const cmd = actionArgs[actionArgs.length - 1] as Command;
      const flags = typedValues(cmd, SETTINGS[section]);
      const globalFlags = typedValues(program, SETTINGS.global);
      onInvoke({ command: spec, flags, globalFlags, args: cmd.args });
    });
  }
  return program;
}

/**
 * What to tell the user after commander refused the command line: the subcommand's own help, and for an
 * unknown option after the model command (`mlpack discover python -c …`) the `--` that was forgotten.
 */
export function usageHint(program: Command, error: TaggedCommanderError, argv: readonly string[]): string {
  const name = error.mlpackCommand;
  const sub = name === undefined ? undefined : program.commands.find((c) => c.name() === name);
  const seeHelp = `Run \`${helpCommand(name as SectionName | undefined)}\` for usage.`;
  if (!sub || error.code !== "commander.unknownOption") return seeHelp;
  const suggestion = dashesSuggestion(program, sub, argv.slice(2));
  return suggestion
    ? `Options after the model command belong to it: put the command after \`--\`, e.g. \`${suggestion}\`. ${seeHelp}`
    : seeHelp;
}

/**
 * `mlpack discover -- python -c x` for `mlpack discover python -c x`: the words from the first operand past
 * the command's fixed arguments on move behind `--`. Undefined when the command takes no trailing command.
 */
function dashesSuggestion(program: Command, sub: Command, words: readonly string[]): string | undefined {
  const args = sub.registeredArguments;
  const last = args[args.length - 1];
  if (!last?.variadic) return undefined;
  const fixed = args.length - 1;
  const options = [...sub.options, ...program.options];
  const before: string[] = [];
  let operands = 0;
  let i = words.indexOf(sub.name());
  if (i < 0 || words.includes("--")) return undefined;
  for (const word of words.slice(0, i)) before.push(word);
  before.push(sub.name());
  for (i += 1; i < words.length; i += 1) {
    const word = words[i] as string;
    if (word.startsWith("-")) {
      const option = options.find((o) => o.long === word.split("=")[0] || o.short === word);
      if (!option) break;
      before.push(word);
      if ((option.required || option.optional) && !word.includes("=") && i + 1 < words.length) {
        i += 1;
        before.push(words[i] as string);
      }
      continue;
    }
    if (operands >= fixed) break;
    operands += 1;
    before.push(word);
  }
  const rest = words.slice(i);
  // Only a command that starts with an operand can be what the user meant to run (`python -c …`).
  if (rest.length === 0 || (rest[0] as string).startsWith("-")) return undefined;
  return ["mlpack", ...before, "--", ...rest].map(shellWord).join(" ");
}

/** A word as the user would type it in a POSIX shell. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

