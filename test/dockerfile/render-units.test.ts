import { describe, expect, it } from "vitest";
import { contextPath, defaultCodePaths, parseHandler } from "../../src/dockerfile/code-paths.js";
import { planEnv, rebasePath } from "../../src/dockerfile/env-block.js";
import { formatEnv, quoteValue } from "../../src/dockerfile/instructions.js";
import { LAMBDA_IMAGE_LIMIT_BYTES, renderDockerfile, wrapComment } from "../../src/dockerfile/render.js";
import { shellSplit } from "../../src/dockerfile/shell-split.js";
import { fillTemplate, loadTemplate } from "../../src/dockerfile/template.js";
import type { RenderOptions } from "../../src/dockerfile/types.js";
import { UsageError } from "../../src/errors.js";
import { hfOnly, nltkGensimTorch } from "./locks.js";

const base: RenderOptions = {
  target: "lambda",
  base: "public.ecr.aws/lambda/python:3.12",
  handler: "app.handler",
  copy: [],
  link: false,
  version: "0.1.0",
  assetImage: { from: `r/a@sha256:${"a".repeat(64)}`, pin: "registry-digest", name: "r/a", source: "push" },
};

describe("shellSplit", () => {
  it.each([
    ["python app.py", ["python", "app.py"]],
    ["  python   -m  app ", ["python", "-m", "app"]],
    [`sh -c 'echo "hi there"'`, ["sh", "-c", 'echo "hi there"']],
    [`echo "a \\"b\\" \\$HOME" c\\ d`, ["echo", 'a "b" $HOME', "c d"]],
    [`run ''`, ["run", ""]],
  ])("%s", (line, words) => {
    expect(shellSplit(line)).toEqual(words);
  });

  it("rejects unterminated quotes and trailing backslashes", () => {
    expect(() => shellSplit(`python 'app.py`)).toThrow(UsageError);
    expect(() => shellSplit("python \\")).toThrow(/lone backslash/);
  });
});

describe("env planning", () => {
  it("re-bases paths and lists, leaves other values alone", () => {
    expect(rebasePath("/cache/nltk_data", "/cache", "/opt/ml")).toBe("/opt/ml/nltk_data");
    expect(rebasePath("/cache", "/cache/", "/opt/ml")).toBe("/opt/ml");
    expect(rebasePath("/cache/a:/cache/b:/usr/share/nltk_data", "/cache", "/x")).toBe(
      "/x/a:/x/b:/usr/share/nltk_data",
    );
    expect(rebasePath("/cachex/a", "/cache", "/x")).toBe("/cachex/a");
    expect(rebasePath("/tmp/hf_xet", "/cache", "/x")).toBe("/tmp/hf_xet");
    expect(rebasePath("1", "/cache", "/x")).toBe("1");
  });

  it("adds the Lambda redirects only for the lambda target; an asset's own value wins", () => {
    const lock = structuredClone(nltkGensimTorch);
    lock.assets[0]!.env.HOME = "/cache/home";
    expect(planEnv(lock, "/cache", true).env).toMatchObject({
      HOME: "/cache/home",
      MPLCONFIGDIR: "/tmp/matplotlib",
    });
    expect(planEnv(lock, "/cache", false).env).not.toHaveProperty("MPLCONFIGDIR");
  });

  it("warns when two assets disagree on a variable and keeps the first by id", () => {
    const lock = structuredClone(nltkGensimTorch);
    lock.assets.find((a) => a.id === "torch")!.env.NLTK_DATA = "/cache/torch/nltk";
    const plan = planEnv(lock, "/cache", true);
    expect(plan.env.NLTK_DATA).toBe("/cache/nltk_data");
    expect(plan.warnings).toEqual([expect.stringContaining("assets nltk and torch both set NLTK_DATA")]);
  });

  it("quotes only what needs quoting and escapes $ so the builder does not expand it", () => {
    expect(quoteValue("/cache/huggingface")).toBe("/cache/huggingface");
    expect(quoteValue("a b")).toBe('"a b"');
    expect(quoteValue('say "$HOME"')).toBe('"say \\"\\$HOME\\""');
    expect(formatEnv({ A: "1", B: "x y" })).toBe('ENV A=1 \\\n    B="x y"');
    expect(formatEnv({})).toBe("");
  });
});

describe("code paths and handler", () => {
  it("parses handlers and picks the default copy", () => {
    expect(parseHandler("app.handler")).toEqual({ module: "app", func: "handler" });
    expect(defaultCodePaths("app.handler")).toEqual(["app.py"]);
    expect(defaultCodePaths("pkg.api.handler")).toEqual(["pkg"]);
    expect(() => parseHandler("handler")).toThrow(/MODULE.FUNCTION/);
    expect(() => parseHandler("app.my-handler")).toThrow(UsageError);
  });

  it("keeps COPY sources inside the build context", () => {
    expect(contextPath("./src/", "--copy")).toBe("src");
    expect(() => contextPath("../secrets", "--copy")).toThrow(/inside the project/);
    expect(() => contextPath("/etc/passwd", "--copy")).toThrow(/--copy/);
  });
});

describe("renderDockerfile", () => {
  it("puts assets before dependencies and code, and the ENV block once", async () => {
    const text = renderDockerfile(
      hfOnly,
      { ...base, requirements: "requirements.txt" },
      await loadTemplate("lambda"),
    ).dockerfile;
    const at = (s: string) => text.indexOf(s);
    expect(at("FROM r/a@sha256:")).toBeLessThan(at("FROM public.ecr.aws"));
    expect(at("COPY --from=mlpack-assets /cache/huggingface /cache/huggingface")).toBeLessThan(
      at("COPY requirements.txt"),
    );
    expect(at('RUN ["pip", "install", "-r", "/var/task/requirements.txt", "--no-cache-dir"]')).toBeGreaterThan(
      at("COPY requirements.txt /var/task/requirements.txt"),
    );
    expect(at('RUN ["pip"')).toBeLessThan(at("COPY app.py /var/task/app.py"));
    expect(text.match(/^ENV /gm)).toHaveLength(1);
    expect(text.trimEnd().endsWith('CMD ["app.handler"]')).toBe(true);
    expect(text).not.toMatch(/--link|--chmod/);
  });

  it("uses the JSON form of COPY for paths with spaces, escaping what the builder's word processor eats", async () => {
    const text = renderDockerfile(
      hfOnly,
      { ...base, copy: ["my app.py", `a$HOME\\b"c'd`], taskRoot: "/opt/task" },
      await loadTemplate("lambda"),
    ).dockerfile;
    expect(text).toContain('COPY ["my app.py", "/opt/task/my app.py"]');
    expect(text).toContain(String.raw`COPY ["a\\$HOME\\\\b\\\"c\\'d", "/opt/task/a\\$HOME\\\\b\\\"c\\'d"]`);
  });

  it("warns over Lambda's 10 GB (decimal) limit, counting a local base image", async () => {
    const template = await loadTemplate("lambda");
    const lock = structuredClone(hfOnly);
    lock.assets[0]!.bytes = LAMBDA_IMAGE_LIMIT_BYTES - 1000;
    expect(renderDockerfile(lock, { ...base, baseImageBytes: 999 }, template).warnings).toEqual([]);
    const over = renderDockerfile(lock, { ...base, baseImageBytes: 1001 }, template);
    expect(over.size).toEqual({
      assetBytes: LAMBDA_IMAGE_LIMIT_BYTES - 1000,
      baseBytes: 1001,
      totalBytes: LAMBDA_IMAGE_LIMIT_BYTES + 1,
      limitBytes: 10_000_000_000,
    });
    expect(over.warnings).toEqual([expect.stringContaining("over Lambda's 10 GB uncompressed image limit")]);
  });

  it("warns that --link with a loaded image needs a push", async () => {
    const r = renderDockerfile(
      hfOnly,
      {
        ...base,
        link: true,
        assetImage: { from: `sha256:${"b".repeat(64)}`, pin: "image-id", name: "t", source: "load" },
      },
      await loadTemplate("lambda"),
    );
    expect(r.warnings).toEqual([expect.stringContaining("run `mlpack push` first")]);
    expect(r.dockerfile).toContain("COPY --link --from=mlpack-assets");
  });
});

describe("fillTemplate and wrapComment", () => {
  it("drops empty sections with their heading comment and collapses blank lines", () => {
    const out = fillTemplate("# head\n\n# about a\n{{a}}\n\n# about b\n{{b}}\nx {{c}}\n", {
      a: "",
      b: "B1\nB2",
      c: "C",
    });
    expect(out).toBe("# head\n\n# about b\nB1\nB2\nx C\n");
    expect(() => fillTemplate("{{nope}}", {})).toThrow(/nope/);
  });

  it("wraps long comments under 100 columns", () => {
    const lines = wrapComment(`NOTE: ${"word ".repeat(60)}`);
    expect(lines.length).toBeGreaterThan(2);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(100);
    expect(lines[1]!.startsWith("#       word")).toBe(true);
  });
});
