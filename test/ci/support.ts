import { cp, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { buildProgram } from "../../src/cli/program.js";
import { type TempProject, useTempProject } from "../support/project.js";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const FIXTURE_DIR = fileURLToPath(new URL("../../fixtures/demo-model/", import.meta.url));

/** A temp project holding a copy of the demo model; removed when the test finishes. */
export async function fixtureProject(): Promise<TempProject> {
  const project = await useTempProject();
  await cp(FIXTURE_DIR, project.dir, { recursive: true });
  return project;
}

export async function readJsonFile(path: string): Promise<unknown> {
  return JSON.parse(await readFile(path, "utf8")) as unknown;
}

/** Parses a `--json` stdout: exactly one JSON document and nothing else. */
export function jsonDoc(stdout: string): unknown {
  return JSON.parse(stdout) as unknown;
}

/** Splits shell words, honouring single and double quotes (enough for our own templates). */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  for (const match of text.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g)) {
    words.push(match[1] ?? match[2] ?? match[3] ?? "");
  }
  return words;
}

/**
 * Every `mlpack …` invocation in a shell script, as argv after `mlpack`: at a command position or inside
 * `$(…)`, up to the next shell operator. `npm install mlpack@x` is not an invocation (the word differs).
 */
export function mlpackInvocations(script: string): string[][] {
  const joined = script.replace(/\\\n/g, " ");
  const found: string[][] = [];
  for (const match of joined.matchAll(/(?:^|[\s;&|(])mlpack[ \t]+([^\n;&|)]*)/gm)) {
    found.push(shellWords(match[1] ?? ""));
  }
  return found;
}

let program: Command | undefined;

/** The real commander program, built once (help and flags come from the settings table). */
export function cliProgram(): Command {
  program ??= buildProgram("0.0.0-test", () => {});
  return program;
}

/** Problems with one invocation: an unknown subcommand, or a `--flag` neither it nor the program defines. */
export function invocationProblems(argv: readonly string[]): string[] {
  const [name, ...rest] = argv;
  const sub = cliProgram().commands.find((c) => c.name() === name);
  if (!sub) return [`unknown command "mlpack ${name ?? ""}"`];
  const problems: string[] = [];
  const known = [...sub.options, ...cliProgram().options];
  for (const word of rest) {
    if (word === "--") break;
    if (!word.startsWith("-")) continue;
    const flag = word.split("=")[0] ?? word;
    if (!known.some((o) => o.long === flag || o.short === flag)) {
      problems.push(`mlpack ${name}: unknown flag ${flag}`);
    }
  }
  return problems;
}
