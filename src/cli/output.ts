import { appendFileSync } from "node:fs";
import { Chalk, type ChalkInstance } from "chalk";
import type { MlpackEvent } from "../events.js";
import { ProgressRenderer } from "./progress.js";
import { stepSummaryMarkdown } from "./step-summary.js";

export interface OutputOptions {
  json: boolean;
  quiet: boolean;
  verbose: boolean;
  color: boolean;
  progress: boolean;
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

export const SCHEMA_VERSION = 1;

/**
 * The one place that writes to the terminal. Results go to stdout, everything else to stderr; colour and
 * live progress only on a TTY outside CI, and never under --json.
 */
export class Output {
  readonly chalk: ChalkInstance;
  readonly json: boolean;
  readonly verbose: boolean;
  readonly quiet: boolean;
  readonly warnings: string[] = [];
  private readonly progress: ProgressRenderer | undefined;

  constructor(private readonly opts: OutputOptions) {
    this.json = opts.json;
    this.verbose = opts.verbose;
    this.quiet = opts.quiet;
    const ci = isCi(opts.env);
    const noColor = opts.env.NO_COLOR !== undefined && opts.env.NO_COLOR !== "";
    const colorful = !opts.json && opts.color && !noColor && opts.stderr.isTTY === true;
    this.chalk = new Chalk({ level: colorful ? 1 : 0 });
    if (!opts.json && !opts.quiet && opts.progress) {
      const live = opts.stderr.isTTY === true && !ci;
      this.progress = new ProgressRenderer(opts.stderr, live);
    }
  }

  /** Renders a core event. */
  readonly emit = (event: MlpackEvent): void => {
    switch (event.type) {
      case "warning":
        this.warn(event.message);
        return;
      case "step":
        if (event.notice) this.notice(event.message);
        else this.info(event.message);
        return;
      case "log":
        // The model command's own output goes to stderr, also under --json (stdout stays one document).
        if (this.quiet) return;
        this.progress?.clear();
        this.opts.stderr.write(event.text);
        return;
      case "progress":
      case "progress-end":
        this.progress?.handle(event);
        return;
    }
  };

  /** Progress and advice ("Next: …") for people reading along: stderr, never under --quiet or --json. */
  info(message: string): void {
    if (this.quiet || this.json) return;
    this.progress?.clear();
    this.opts.stderr.write(`${message}\n`);
  }

  /**
   * A fact the user must learn even under --quiet (e.g. that a container was kept for them): stderr, not
   * under --json, where the command's result or error document carries it instead.
   */
  notice(message: string): void {
    if (this.json) return;
    this.progress?.clear();
    this.opts.stderr.write(`${message}\n`);
  }

  warn(message: string): void {
    this.warnings.push(message);
    if (this.quiet) return;
    this.progress?.clear();
    if (this.opts.env.GITHUB_ACTIONS === "true") {
      this.opts.stderr.write(`${workflowCommand("warning", message)}\n`);
    } else {
      this.opts.stderr.write(`${this.chalk.yellow("warning:")} ${message}\n`);
    }
  }

  /** Writes the command's result: the JSON document under --json, else the human rendering. */
  result(command: string, data: object, human: () => string): void {
    this.progress?.finish();
    this.appendStepSummary(command, data);
    if (this.json) {
      // The envelope fields always win over a same-named field in the data (e.g. a "command" a result carries).
      const envelope = { schemaVersion: SCHEMA_VERSION, ok: true, command };
      const doc = Object.assign({ ...envelope }, data, envelope, { warnings: this.warnings });
      this.opts.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
      return;
    }
    const text = human();
    if (text.length > 0) this.opts.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
  }

  /** In GitHub Actions, a Markdown section per command in the job summary (best effort: never fails a run). */
  private appendStepSummary(command: string, data: object): void {
    const file = this.opts.env.GITHUB_STEP_SUMMARY;
    if (!file) return;
    const markdown = stepSummaryMarkdown(command, data);
    if (!markdown) return;
    try {
      appendFileSync(file, `${markdown.trimEnd()}\n\n`);
    } catch (error) {
      this.warn(`could not append to GITHUB_STEP_SUMMARY (${file}): ${(error as Error).message}`);
    }
  }

  /** Raw stderr for the error handler. */
  errorText(text: string): void {
    this.progress?.finish();
    this.opts.stderr.write(text.endsWith("\n") ? text : `${text}\n`);
  }

  errorJson(doc: object): void {
    this.progress?.finish();
    this.opts.stdout.write(`${JSON.stringify({ schemaVersion: SCHEMA_VERSION, ...doc }, null, 2)}\n`);
  }

  close(): void {
    this.progress?.finish();
  }
}

/**
 * A GitHub Actions workflow command (`::warning title=…::message`), escaped as the runner expects: in the
 * message `%`, CR and LF become `%25`, `%0D`, `%0A`; property values also escape `:` and `,`
 * (actions/toolkit `command.ts`), so a hostile file name cannot end the annotation or start another command.
 */
export function workflowCommand(
  command: string,
  message: string,
  properties: Record<string, string> = {},
): string {
  const props = Object.entries(properties)
    .map(([key, value]) => `${key}=${escapeProperty(value)}`)
    .join(",");
  return `::${command}${props ? ` ${props}` : ""}::${escapeData(message)}`;
}

function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

export function isCi(env: NodeJS.ProcessEnv): boolean {
  const ci = env.CI;
  return ci !== undefined && ci !== "" && ci !== "0" && ci.toLowerCase() !== "false";
}
