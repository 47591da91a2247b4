import { Command, Option } from "commander";
import type { SectionValues } from "../config/resolve.js";
import { SETTINGS, type SectionName, type SettingSpec } from "../config/settings.js";
import { UsageError } from "../errors.js";
import { COMMANDS, type CommandSpec } from "./commands/index.js";

export interface ParsedInvocation {
  command: CommandSpec;
  /** Values the user typed for this command's settings (undefined when not given). */
  flags: SectionValues;
  /** Values the user typed for global settings. */
  globalFlags: SectionValues;
  args: string[];
}

function toOption(spec: SettingSpec): Option {
  const option = new Option(spec.flags, spec.description);
  if (spec.kind === "choice" && spec.choices) option.choices(spec.choices);
  if (spec.kind === "number") {
    option.argParser((raw: string) => {
      const n = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(n) || n < 0)
        throw new UsageError(`${spec.flags.split(" ")[0]} expects a number, got "${raw}"`);
      return n;
    });
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

/**
 * Builds a fresh commander program (one per invocation, so tests can build many). Help, flags and config keys
 * all come from the settings table.
 */
export function buildProgram(version: string, onInvoke: (parsed: ParsedInvocation) => void): Command {
  const program = new Command("mlpack")
    .description("Package the hidden asset caches of Python ML code into Docker asset images for AWS Lambda.")
    .version(version, "-V, --version")
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeErr: () => {}, writeOut: (s) => process.stdout.write(s) });
  // Program options are recognised before and after the subcommand name (commander's default).
  for (const spec of SETTINGS.global) program.addOption(toOption(spec));

  for (const spec of COMMANDS) {
    const sub = program.command(spec.usage).description(spec.summary).exitOverride();
    sub.configureOutput({ writeErr: () => {}, writeOut: (s) => process.stdout.write(s) });
    sub.configureHelp({ showGlobalOptions: true });
    for (const setting of SETTINGS[spec.name as SectionName]) {
      if (setting.flags === "") continue;
      sub.addOption(toOption(setting));
      if (setting.negatable) sub.addOption(negation(setting));
    }
    if (spec.helpAfter) sub.addHelpText("after", `\n${spec.helpAfter}`);
    sub.action((...actionArgs: unknown[]) => {
      const cmd = actionArgs[actionArgs.length - 1] as Command;
      const flags = typedValues(cmd, SETTINGS[spec.name as SectionName]);
      const globalFlags = typedValues(program, SETTINGS.global);
      onInvoke({ command: spec, flags, globalFlags, args: cmd.args });
    });
  }
  return program;
}
