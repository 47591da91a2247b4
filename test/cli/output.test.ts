import { describe, expect, it } from "vitest";
import { handleError } from "../../src/cli/handle-error.js";
import { isDroppedWarning } from "../../src/cli/node-warnings.js";
import { Output, workflowCommand } from "../../src/cli/output.js";
import { fitLine, ProgressRenderer } from "../../src/cli/progress.js";
import { mdCode, mdText, stepSummaryMarkdown } from "../../src/cli/step-summary.js";
import { ModelCommandError, NoSpaceError, RegistryError } from "../../src/errors.js";

function sink(isTTY = false, columns?: number) {
  const chunks: string[] = [];
  const stream = {
    isTTY,
    columns,
    write: (chunk: string | Uint8Array) => (chunks.push(String(chunk)), true),
  } as unknown as NodeJS.WritableStream & { isTTY?: boolean };
  return { stream, text: () => chunks.join(""), chunks };
}

function output(opts: { json?: boolean; quiet?: boolean; env?: NodeJS.ProcessEnv } = {}) {
  const stdout = sink();
  const stderr = sink();
  const out = new Output({
    json: opts.json ?? false,
    quiet: opts.quiet ?? false,
    verbose: false,
    color: false,
    progress: true,
    env: opts.env ?? {},
    stdout: stdout.stream,
    stderr: stderr.stream,
  });
  return { out, stdout, stderr };
}

describe("GitHub workflow commands", () => {
  it("escape %, CR and LF in the message, and also : and , in properties", () => {
    expect(workflowCommand("warning", "100% done\r\n::error::pwned")).toBe(
      "::warning::100%25 done%0D%0A::error::pwned",
    );
    expect(workflowCommand("warning", "m", { file: "a:b,c%.txt", title: "x\ny" })).toBe(
      "::warning file=a%3Ab%2Cc%25.txt,title=x%0Ay::m",
    );
  });

  it("a warning under GITHUB_ACTIONS is one annotation line whatever the message holds", () => {
    const { out, stderr } = output({ env: { GITHUB_ACTIONS: "true" } });
    out.warn("not packaging a secret: /root/.aws/cred\nentials 50%\r");
    expect(stderr.text()).toBe("::warning::not packaging a secret: /root/.aws/cred%0Aentials 50%25%0D\n");
  });
});

describe("--quiet and --json", () => {
  it("quiet drops progress, steps and advice but keeps the result and notices", () => {
    const { out, stdout, stderr } = output({ quiet: true });
    out.emit({ type: "step", message: "running x" });
    out.emit({ type: "progress", id: "a", label: "stage", done: 1, total: 2, unit: "items" });
    out.emit({ type: "progress-end", id: "a" });
    out.info("Next: do this");
    out.emit({ type: "step", message: "kept container abc (--keep)", notice: true });
    out.result("init", { files: [], ci: null }, () => "wrote mlpack.json");
    expect(stdout.text()).toBe("wrote mlpack.json\n");
    expect(stderr.text()).toBe("kept container abc (--keep)\n");
  });

  it("json keeps stdout to the document; notices stay off the terminal", () => {
    const { out, stdout, stderr } = output({ json: true });
    out.emit({ type: "step", message: "kept container abc (--keep)", notice: true });
    out.result("init", { files: [], ci: null }, () => "human");
    expect(JSON.parse(stdout.text())).toMatchObject({ ok: true, command: "init", files: [] });
    expect(stderr.text()).toBe("");
  });

  it("error documents carry the structured fields of the error as details", () => {
    const model = new ModelCommandError(
      "the model command exited with code 3",
      { commandExitCode: 3, outputTail: "Traceback\nValueError: x\n" },
      { hint: "its last output is shown above" },
    );
    const json = output({ json: true });
    expect(handleError(model, json.out)).toBe(4);
    expect(JSON.parse(json.stdout.text()).error).toMatchObject({
      code: "E_MODEL_COMMAND",
      details: { commandExitCode: 3, outputTail: "Traceback\nValueError: x\n" },
    });
    const registry = output({ json: true });
    handleError(new RegistryError("denied", { registryCode: "DENIED", status: 403 }), registry.out);
    expect(JSON.parse(registry.stdout.text()).error.details).toEqual({
      registryCode: "DENIED",
      status: 403,
      retryable: false,
    });
    const disk = output({ json: true });
    handleError(new NoSpaceError("full", { path: "/p/.mlpack", neededBytes: 10 }), disk.out);
    expect(JSON.parse(disk.stdout.text()).error.details).toEqual({ path: "/p/.mlpack", neededBytes: 10 });
  });

  it("under --quiet a failed model command's tail comes before the error (nothing was streamed)", () => {
    const error = new ModelCommandError("failed", { commandExitCode: 1, outputTail: "boom\n" }, { hint: "h" });
    const quiet = output({ quiet: true });
    handleError(error, quiet.out);
    expect(quiet.stderr.text()).toBe("--- output of the command (last lines):\nboom\nerror: failed\nhint: h\n");
    const loud = output();
    handleError(error, loud.out);
    expect(loud.stderr.text()).toBe("error: failed\nhint: h\n");
  });
});

describe("the TTY progress line", () => {
  const bar = (label: string, stats: string) => ({ label, stats });

  it("uses the whole terminal width and never more", () => {
    const long = bar("export huggingface /root/.cache/huggingface/hub/models--org--name", "120 MiB/400 MiB 30% 40 MiB/s");
    const full = `${long.label}: ${long.stats}`;
    expect(fitLine([long], 200)).toBe(full);
    const fitted = fitLine([long], 79);
    expect([...fitted].length).toBeLessThanOrEqual(79);
    expect(fitted.endsWith(": 120 MiB/400 MiB 30% 40 MiB/s")).toBe(true);
    expect(fitted).toContain("…");
  });

  it("keeps the newest tasks when several do not fit, with a count of the others", () => {
    const bars = [1, 2, 3, 4, 5].map((i) => bar(`stage asset-${i}-with-a-long-name`, `${i} MiB/9 MiB 10% 1 MiB/s`));
    const line = fitLine(bars, 60);
    expect([...line].length).toBeLessThanOrEqual(60);
    expect(line).toMatch(/^\+\d more \| /);
    expect(line).toContain("5 MiB/9 MiB");
  });

  it("draws within the stream's columns, read at every draw", () => {
    const tty = sink(true, 50);
    const renderer = new ProgressRenderer(tty.stream, true);
    renderer.handle({ type: "progress", id: "x", label: "a".repeat(200), done: 5, total: 10, unit: "items" });
    const drawn = tty.chunks.filter((c) => !c.startsWith("\r")).at(-1) ?? "";
    expect([...drawn].length).toBe(49);
    expect(drawn.endsWith(": 5/10")).toBe(true);
  });
});

describe("job summary Markdown", () => {
  it("text and code spans cannot be broken by the values they show", () => {
    expect(mdText("a|b*c_<script>&amp;`x`\n")).toBe("a|b\\*c\\_\\<script\\>\\&amp;\\`x\\`\\\\n");
    expect(mdCode("x`y``z")).toBe("```x`y``z```");
    expect(mdCode("`edge")).toBe("`` `edge ``");
  });

  it("a hostile asset id stays in its table cell", () => {
    const md = stepSummaryMarkdown("bundle", {
      digest: `sha256:${"a".repeat(64)}`,
      configDigest: `sha256:${"b".repeat(64)}`,
      lockDigest: `sha256:${"c".repeat(64)}`,
      layout: "/p/.mlpack/oci",
      loaded: null,
      layers: [
        {
          title: "evil | col\n| row",
          assetId: "<b>x</b>",
          files: 1,
          uncompressedSize: 1,
          size: 1,
          digest: `sha256:${"d".repeat(64)}`,
          diffId: `sha256:${"e".repeat(64)}`,
          mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
        },
      ],
      skipped: [],
    });
    if (md === undefined) return expect.fail("the bundle data no longer matches its schema");
    const row = md.split("\n").find((l) => l.includes("evil")) ?? "";
    expect(row).toBe(
      `| \`evil \\| col\\n\\| row\` | \\<b\\>x\\</b\\> | 1 | 1 B | 1 B | \`sha256:dddddddddddd\` |`,
    );
  });
});

describe("Node warnings", () => {
  it("drops only the AWS SDK's Node-version notice", () => {
    expect(isDroppedWarning("NodeVersionSupportWarning: The AWS SDK for JavaScript (v3)\nversions …")).toBe(true);
    expect(isDroppedWarning("something", "NodeVersionSupportWarning")).toBe(true);
    expect(isDroppedWarning("ExperimentalWarning: fetch is experimental")).toBe(false);
    expect(isDroppedWarning(new Error("MaxListenersExceededWarning: leak"))).toBe(false);
  });
});
