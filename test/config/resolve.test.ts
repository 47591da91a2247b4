import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { configSchema, loadConfigFile, parseEnvValue, resolveSection } from "../../src/config/resolve.js";
import { envName, SETTINGS } from "../../src/config/settings.js";
import { ConfigError, UsageError } from "../../src/errors.js";

describe("resolveSection precedence: default < mlpack.json < MLPACK_* < flag", () => {
  const file = { push: { concurrency: 2, repository: "from-file" } };
  it.each([
    ["default only", {}, {}, {}, 4],
    ["file beats default", file, {}, {}, 2],
    ["env beats file", file, { MLPACK_PUSH_CONCURRENCY: "6" }, {}, 6],
    ["flag beats env", file, { MLPACK_PUSH_CONCURRENCY: "6" }, { concurrency: 8 }, 8],
  ])("%s", (_name, cfg, env, flags, expected) => {
    const values = resolveSection({ section: "push", file: cfg, env, flags });
    expect(values.concurrency).toBe(expected);
  });

  it("keeps unrelated keys from each layer", () => {
    const values = resolveSection({
      section: "push",
      file,
      env: { MLPACK_PUSH_REGISTRY: "127.0.0.1:5000" },
      flags: {},
    });
    expect(values).toMatchObject({
      repository: "from-file",
      registry: "127.0.0.1:5000",
      createRepository: true,
    });
  });

  it("a boolean flag set to false beats a true env value", () => {
    const values = resolveSection({
      section: "push",
      file: {},
      env: { MLPACK_PUSH_CREATE_REPOSITORY: "1" },
      flags: { createRepository: false },
    });
    expect(values.createRepository).toBe(false);
  });

  it("does not share mutable defaults between calls", () => {
    const a = resolveSection({ section: "discover", file: {}, env: {}, flags: {} });
    (a.env as string[]).push("X=1");
    const b = resolveSection({ section: "discover", file: {}, env: {}, flags: {} });
    expect(b.env).toEqual([]);
  });
});

describe("environment variables", () => {
  it("are named MLPACK_<SECTION>_<KEY>", () => {
    expect(envName("push", "createRepository")).toBe("MLPACK_PUSH_CREATE_REPOSITORY");
    expect(envName("bundle", "assetRoot")).toBe("MLPACK_BUNDLE_ASSET_ROOT");
    expect(envName("global", "quiet")).toBe("MLPACK_QUIET");
  });

  it("bad values name the variable", () => {
    const spec = SETTINGS.push.find((s) => s.key === "concurrency")!;
    expect(() => parseEnvValue(spec, "MLPACK_PUSH_CONCURRENCY", "four")).toThrow(
      /MLPACK_PUSH_CONCURRENCY=four/,
    );
    const choice = SETTINGS.bundle.find((s) => s.key === "compression")!;
    expect(() => parseEnvValue(choice, "MLPACK_BUNDLE_COMPRESSION", "zstd")).toThrow(UsageError);
    expect(parseEnvValue(SETTINGS.discover.find((s) => s.key === "include")!, "X", "/a,/b")).toEqual([
      "/a",
      "/b",
    ]);
  });
});

describe("loadConfigFile", () => {
  async function withConfig(content: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), "mlpack-cfg-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, "mlpack.json");
    await writeFile(path, content);
    return path;
  }

  it("accepts every settable key with its type", async () => {
    const path = await withConfig(
      JSON.stringify({
        discover: { image: "x", timeout: 5, env: ["A=1"] },
        bundle: { compression: "stored" },
      }),
    );
    await expect(loadConfigFile(path, false)).resolves.toMatchObject({ bundle: { compression: "stored" } });
  });

  it.each([
    ['{"discover": {"imagee": "x"}}', /unknown key "discover\.imagee"/],
    ['{"discovery": {}}', /unknown key "discovery"/],
    ['{"push": {"concurrency": "4"}}', /key "push\.concurrency" must be a whole number from 1 to 64, got "4"/],
    [
      '{"bundle": {"compression": "zstd"}}',
      /key "bundle\.compression" must be one of "auto", "gzip", "stored", "none"/,
    ],
    ['{"discover": {"check": true}}', /unknown key "discover\.check"/],
    ["{not json", /is not valid JSON/],
  ])("rejects %s", async (content, message) => {
    const path = await withConfig(content);
    const error = await loadConfigFile(path, false).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(message);
    expect((error as ConfigError).message).toContain(path);
    expect((error as ConfigError).exitCode).toBe(2);
  });

  it("a missing default file is fine, a missing --config file is not", async () => {
    await expect(loadConfigFile("/nonexistent/mlpack.json", false)).resolves.toEqual({});
    await expect(loadConfigFile("/nonexistent/mlpack.json", true)).rejects.toThrow(ConfigError);
  });

  it("the schema has a section per command", () => {
    expect(
      configSchema().safeParse({ verify: { uid: 1000 }, dockerfile: { target: "generic" } }).success,
    ).toBe(true);
  });
});
