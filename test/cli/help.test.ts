import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { buildProgram } from "../../src/cli/program.js";
import { parseNumberSetting } from "../../src/config/resolve.js";
import { numberAllowed, numberRule, SETTINGS, type SectionName, type SettingSpec } from "../../src/config/settings.js";
import { UsageError } from "../../src/errors.js";

/** Runs main() in-process with captured streams (no TTY, CI off), as the bin would. */
async function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = "";
  let stderr = "";
  const sink = (append: (s: string) => void) =>
    ({ write: (chunk: string | Uint8Array) => (append(String(chunk)), true) }) as unknown as NodeJS.WritableStream;
  const code = await main(["node", "mlpack", ...args], {
    env: { NO_COLOR: "1", ...env },
    stdout: sink((s) => (stdout += s)),
    stderr: sink((s) => (stderr += s)),
    signal: new AbortController().signal,
  });
  return { code, stdout, stderr };
}

const numberSettings = (Object.entries(SETTINGS) as [SectionName, readonly SettingSpec[]][]).flatMap(
  ([section, specs]) => specs.filter((s) => s.kind === "number").map((s) => [section, s] as const),
);

describe("help", () => {
  it("bare mlpack prints the usage on stderr and exits 2", async () => {
    const r = await run([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^Usage: mlpack \[options\] \[command\]/);
    expect(r.stderr).toContain("error: no command given");
    const json = await run(["--json"]);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout).error).toMatchObject({ code: "E_USAGE", message: "no command given" });
  });

  it("`mlpack help discover` and `--help` exit 0 with the help on stdout", async () => {
    for (const args of [["help", "discover"], ["discover", "--help"]]) {
      const r = await run(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Usage: mlpack discover/);
    }
  });

  it("each command's help shows the defaults and ranges of the settings table and an example", async () => {
    const program = buildProgram("0.0.0", () => {});
    for (const sub of program.commands) {
      if (sub.name() === "help") continue;
      const r = await run([sub.name(), "--help"]);
      expect(r.stdout, sub.name()).toMatch(/Examples:\n {2}mlpack /);
      for (const spec of SETTINGS[sub.name() as SectionName]) {
        if (spec.flags === "") continue;
        const flat = r.stdout.replace(/\s+/g, " ");
        if (typeof spec.default === "string" || typeof spec.default === "number")
          expect(flat, `${sub.name()} ${spec.flags}`).toContain(`default ${spec.default}`);
        if (spec.kind === "number") expect(flat).toContain(numberRule(spec));
        if (spec.choices) expect(flat).toContain(`one of ${spec.choices.join(", ")}`);
      }
    }
    const discover = (await run(["discover", "--help"])).stdout.replace(/\s+/g, " ");
    expect(discover).toContain("default public.ecr.aws/lambda/python:3.12");
    expect(discover).toContain("a number of seconds from 1 to 86400; default 3600");
    const verify = (await run(["verify", "--help"])).stdout.replace(/\s+/g, " ");
    expect(verify).toContain("default 993");
  });
});

describe("usage errors", () => {
  it.each([
    [["discover", "python", "-c", "print(1)"], "mlpack discover -- python -c 'print(1)'", "mlpack discover --help"],
    [
      ["discover", "--runner", "local", "python3", "-m", "app"],
      "mlpack discover --runner local -- python3 -m app",
      "mlpack discover --help",
    ],
    [["verify", "my-fn:1", "python3", "-c", "x"], "mlpack verify my-fn:1 -- python3 -c x", "mlpack verify --help"],
  ])("%j gets a hint about -- with the corrected command", async (args, fixed, help) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option");
    expect(r.stderr).toContain(`\`${fixed}\``);
    expect(r.stderr).toContain(`\`${help}\``);
  });

  it("an unknown flag points at the subcommand's help, without a -- hint when none applies", async () => {
    const r = await run(["bundle", "--bogus"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("hint: Run `mlpack bundle --help` for usage.");
    const d = await run(["discover", "--bogus", "--", "python3"]);
    expect(d.stderr).toContain("hint: Run `mlpack discover --help` for usage.");
    expect(d.stderr).not.toContain("after `--`");
    const top = await run(["deploy"]);
    expect(top.stderr).toContain("unknown command 'deploy'");
    expect(top.stderr).toContain("`mlpack --help`");
  });
});

describe("number settings", () => {
  it("every number setting has both bounds, so no value reaches the core unchecked", () => {
    expect(numberSettings.length).toBeGreaterThan(0);
    for (const [section, spec] of numberSettings) {
      expect(spec.min, `${section}.${spec.key}`).toBeDefined();
      expect(spec.max, `${section}.${spec.key}`).toBeDefined();
      expect(numberAllowed(spec, spec.default as number), `${section}.${spec.key} default`).toBe(true);
    }
  });

  it.each(numberSettings)("%s %o: refuses values outside the rule, naming the input", (_section, spec) => {
    const bad = [spec.min! - 1, spec.max! + 1, Number.NaN, ...(spec.integer ? [spec.min! + 0.5] : [])];
    for (const value of bad) {
      expect(numberAllowed(spec, value), String(value)).toBe(false);
      expect(() => parseNumberSetting(spec, `--x ${value}`, String(value), "")).toThrow(UsageError);
    }
    expect(() => parseNumberSetting(spec, "--x ", "", "")).toThrow(/--x : expected/);
    expect(parseNumberSetting(spec, "--x", String(spec.max), "")).toBe(spec.max);
  });

  it("--timeout, --uid and MLPACK_* values are refused with exit 2 naming them", async () => {
    const cases: [string[], NodeJS.ProcessEnv, string][] = [
      [["discover", "--timeout", "0", "--", "true"], {}, "--timeout 0: expected a number of seconds from 1 to 86400"],
      [["discover", "--timeout", "2200000", "--", "true"], {}, "--timeout 2200000"],
      [["verify", "--timeout", "-5", "img"], {}, "--timeout -5"],
      [["verify", "--uid", "993.5", "img"], {}, "--uid 993.5: expected a whole number from 1 to 2147483647"],
      [["verify", "img"], { MLPACK_VERIFY_UID: "0" }, "MLPACK_VERIFY_UID=0: expected a whole number"],
      [["push"], { MLPACK_PUSH_CONCURRENCY: "0" }, "MLPACK_PUSH_CONCURRENCY=0"],
    ];
    for (const [args, env, message] of cases) {
      const r = await run(args, env);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toContain(message);
      expect(r.stderr).not.toContain("bug in mlpack");
    }
  });
});
