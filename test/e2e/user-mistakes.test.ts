import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { errorDocument } from "../../src/cli/results/common.js";
import { ERROR_CODES } from "../../src/error-codes.js";
import { runCli } from "../support/cli.js";
import { useTempProject } from "../support/project.js";

/**
 * Ordinary mistakes a new user makes, through the built CLI: each has its exit code, its own error code, and a
 * message or hint that names what the user typed (the flag, the value, the path, the variable, the key) —
 * never "This is a bug in mlpack". Every row runs twice: as text (stderr) and as JSON (the error document).
 */
interface Mistake {
  name: string;
  args: string[];
  env?: Record<string, string>;
  /** Files of the temp project the command runs in. */
  files?: Record<string, string>;
  exit: number;
  code: keyof typeof ERROR_CODES;
  /** Strings that must appear in the message or hint: the user's own input. `{dir}` is the project. */
  names: string[];
  /** Paths (relative to the project) that must not exist afterwards. */
  absent?: string[];
}

const MISTAKES: Mistake[] = [
  { name: "no arguments at all", args: [], exit: 2, code: "E_USAGE", names: ["no command given", "mlpack --help"] },
  { name: "an unknown subcommand", args: ["deploy"], exit: 2, code: "E_USAGE", names: ["'deploy'", "mlpack --help"] },
  {
    name: "help for an unknown subcommand",
    args: ["help", "deploy"],
    exit: 2,
    code: "E_USAGE",
    names: ["'deploy'", "mlpack --help"],
  },
  {
    name: "a flag without its value",
    args: ["discover", "--runner"],
    exit: 2,
    code: "E_USAGE",
    names: ["--runner", "mlpack discover --help"],
  },
  {
    name: "an argument the command does not take",
    args: ["bundle", "mlpack.lock.json"],
    exit: 2,
    code: "E_USAGE",
    names: ["'bundle'", "mlpack bundle --help"],
  },
  {
    name: "an unknown flag",
    args: ["bundle", "--compresion", "gzip"],
    exit: 2,
    code: "E_USAGE",
    names: ["'--compresion'", "mlpack bundle --help"],
  },
  {
    name: "the model command without --",
    args: ["discover", "--runner", "local", "python3", "-c", "print(1)"],
    exit: 2,
    code: "E_USAGE",
    names: ["'-c'", "mlpack discover --runner local -- python3 -c 'print(1)'"],
  },
  {
    name: "verify's command without --",
    args: ["verify", "my-fn:1", "python3", "-m", "smoke"],
    exit: 2,
    code: "E_USAGE",
    names: ["'-m'", "mlpack verify my-fn:1 -- python3 -m smoke"],
  },
  {
    name: "discover without a model command",
    args: ["discover", "--runner", "local"],
    exit: 2,
    code: "E_USAGE",
    names: ["no model command", "mlpack discover -- python app.py"],
  },
  {
    name: "a zero timeout",
    args: ["discover", "--timeout", "0", "--", "true"],
    exit: 2,
    code: "E_USAGE",
    names: ["--timeout 0", "1 to 86400", "mlpack discover --help"],
  },
  {
    name: "a timeout past a day (past Node's 2^31 ms timers)",
    args: ["discover", "--timeout", "2200000", "--", "true"],
    exit: 2,
    code: "E_USAGE",
    names: ["--timeout 2200000", "1 to 86400"],
  },
  {
    name: "a timeout that is not a number",
    args: ["verify", "--timeout", "10m", "img"],
    exit: 2,
    code: "E_USAGE",
    names: ["--timeout 10m", "mlpack verify --help"],
  },
  {
    name: "a fractional uid",
    args: ["verify", "--uid", "993.5", "img"],
    exit: 2,
    code: "E_USAGE",
    names: ["--uid 993.5", "whole number"],
  },
  { name: "uid 0", args: ["verify", "--uid", "0", "img"], exit: 2, code: "E_USAGE", names: ["--uid 0", "root"] },
  {
    name: "a /tmp size past Lambda's maximum",
    args: ["verify", "--tmp-size", "20000", "img"],
    exit: 2,
    code: "E_USAGE",
    names: ["--tmp-size 20000", "10240"],
  },
  {
    name: "zero concurrency",
    args: ["push", "--concurrency", "0"],
    exit: 2,
    code: "E_USAGE",
    names: ["--concurrency 0", "1 to 64"],
  },
  {
    name: "a bad number in an MLPACK_* variable",
    args: ["discover", "--", "true"],
    env: { MLPACK_DISCOVER_TIMEOUT: "-1" },
    exit: 2,
    code: "E_USAGE",
    names: ["MLPACK_DISCOVER_TIMEOUT=-1"],
  },
  {
    name: "a bad boolean in an MLPACK_* variable",
    args: ["bundle"],
    env: { MLPACK_BUNDLE_LOAD: "maybe" },
    exit: 2,
    code: "E_USAGE",
    names: ["MLPACK_BUNDLE_LOAD=maybe"],
  },
  {
    name: "a value that is not one of the choices",
    args: ["init", "--ci", "bitbucket"],
    exit: 2,
    code: "E_USAGE",
    names: ["bitbucket", "mlpack init --help"],
  },
  {
    name: "--env without =",
    args: ["discover", "--runner", "local", "--env", "HF_HOME", "--", "true"],
    exit: 2,
    code: "E_USAGE",
    names: ["--env HF_HOME", "KEY=VALUE"],
  },
  {
    name: "verify without an image",
    args: ["verify"],
    exit: 2,
    code: "E_USAGE",
    names: ["'image'", "mlpack verify --help"],
  },
  {
    name: "mlpack.json that is not JSON",
    args: ["bundle"],
    files: { "mlpack.json": "{ discover: }" },
    exit: 2,
    code: "E_CONFIG",
    names: ["{dir}/mlpack.json", "not valid JSON"],
  },
  {
    name: "a misspelt key in mlpack.json",
    args: ["bundle"],
    files: { "mlpack.json": '{"bundle": {"compresion": "gzip"}}' },
    exit: 2,
    code: "E_CONFIG",
    names: ['"bundle.compresion"', "compression"],
  },
  {
    name: "a number out of range in mlpack.json",
    args: ["bundle"],
    files: { "mlpack.json": '{"verify": {"uid": 0}}' },
    exit: 2,
    code: "E_CONFIG",
    names: ['"verify.uid"', "got 0", "root"],
  },
  {
    name: "a wrong type in mlpack.json",
    args: ["bundle"],
    files: { "mlpack.json": '{"discover": {"timeout": "1h"}}' },
    exit: 2,
    code: "E_CONFIG",
    names: ['"discover.timeout"', 'got "1h"'],
  },
  {
    name: "--config naming a missing file",
    args: ["--config", "ci/mlpack.json", "bundle"],
    exit: 2,
    code: "E_CONFIG",
    names: ["{dir}/ci/mlpack.json", "--config"],
  },
  {
    name: "bundle before discover (no lock)",
    args: ["bundle"],
    exit: 2,
    code: "E_NO_LOCK",
    names: ["{dir}", "mlpack discover"],
    absent: [".mlpack"],
  },
  {
    name: "dockerfile before discover (no lock)",
    args: ["dockerfile"],
    exit: 2,
    code: "E_NO_LOCK",
    names: ["{dir}", "mlpack discover"],
  },
  {
    name: "push before bundle (no image layout)",
    args: ["push", "--registry", "127.0.0.1:5000", "--repository", "mistakes/none"],
    files: { ".mlpack/keep": "" },
    exit: 2,
    code: "E_LAYOUT_INVALID",
    names: ["{dir}/.mlpack/oci", "mlpack bundle"],
  },
  {
    name: "-C to a folder that does not exist",
    args: ["-C", "no/such/project", "bundle"],
    exit: 2,
    code: "E_PATH_NOT_FOUND",
    names: ["-C no/such/project", "{dir}/no/such/project"],
    absent: ["no"],
  },
  {
    name: "-C to a file",
    args: ["-C", "app.py", "discover", "--", "true"],
    files: { "app.py": "print(1)\n" },
    exit: 2,
    code: "E_NOT_DIRECTORY",
    names: ["-C app.py"],
  },
  {
    name: "MLPACK_CWD to a folder that does not exist",
    args: ["bundle"],
    env: { MLPACK_CWD: "/nonexistent/mlpack-project" },
    exit: 2,
    code: "E_PATH_NOT_FOUND",
    names: ["MLPACK_CWD=/nonexistent/mlpack-project"],
  },
  {
    name: "init over an existing mlpack.json",
    args: ["init"],
    files: { "mlpack.json": "{}\n" },
    exit: 2,
    code: "E_FILE_EXISTS",
    names: ["{dir}/mlpack.json", "--force"],
  },
  {
    name: "a model command that does not exist (local runner)",
    args: ["discover", "--runner", "local", "--", "mlpack-no-such-program", "app.py"],
    exit: 4,
    code: "E_MODEL_COMMAND",
    names: ["mlpack-no-such-program"],
  },
];

function fill(text: string, dir: string): string {
  return text.replaceAll("{dir}", dir);
}

describe("user mistakes through the built CLI", () => {
  it("the table covers only codes the registry knows, each with the registry's exit code", () => {
    for (const m of MISTAKES) expect(ERROR_CODES[m.code].exitCode, m.name).toBe(m.exit);
  });

  it.each(MISTAKES.map((m) => [m.name, m] as const))("%s", async (_name, mistake) => {
    const project = await useTempProject(mistake.files ?? {});
    // One after the other: mutating commands take the project lock, so a second one at once would be E_BUSY.
    // MLPACK_JSON=1 rather than --json, so the command line (and the fix the hint suggests) stays the same.
    const text = await runCli(mistake.args, { cwd: project.dir, env: mistake.env ?? {} });
    const json = await runCli(mistake.args, { cwd: project.dir, env: { ...mistake.env, MLPACK_JSON: "1" } });
    expect(text.code, text.stderr).toBe(mistake.exit);
    expect(text.stdout).toBe("");
    expect(text.stderr).toMatch(/^error: /m);
    expect(json.code).toBe(mistake.exit);
    const doc = errorDocument.parse(JSON.parse(json.stdout));
    expect(doc.error.code).toBe(mistake.code);
    const said = `${doc.error.message}\n${doc.error.hint ?? ""}`;
    for (const name of mistake.names) {
      expect(said, `names ${name}`).toContain(fill(name, project.dir));
      expect(text.stderr, `names ${name}`).toContain(fill(name, project.dir));
    }
    for (const output of [text.stderr, json.stdout, json.stderr]) {
      expect(output).not.toMatch(/bug in mlpack/i);
      expect(output).not.toContain("E_UNEXPECTED");
      expect(output).not.toMatch(/\n\s+at .*\.js:\d+/); // no stack trace without --verbose
    }
    for (const path of mistake.absent ?? []) expect(existsSync(project.path(path)), path).toBe(false);
  });
});
