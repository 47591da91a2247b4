import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { describeReal } from "../support/real.js";
import { REPO_ROOT } from "./support.js";

/**
 * bin/mlpack runs dist/app/ (scripts/bundle-cli.mjs), not tsc's ~190 files: every command's start-up pays
 * for each module Node resolves, reads and compiles. These tests count the files loaded through a resolve
 * hook, so they fail if bin/mlpack goes back to dist/cli/ or the bundle stops taking zod and commander in.
 */
describe("the bundled CLI", () => {
  let tmp = "";
  let hook = "";
  let log = "";

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), "mlpack-bundle-test-"));
    log = join(tmp, "resolved.txt");
    const hooks = join(tmp, "hooks.mjs");
    // Loader hooks run on their own thread: append each resolved file: URL to the log.
    await writeFile(
      hooks,
      `import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (r.url.startsWith("file:")) appendFileSync(${JSON.stringify(log)}, r.url + "\\n");
  return r;
}
`,
    );
    hook = join(tmp, "register.mjs");
    await writeFile(
      hook,
      `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
    );
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  const loadedBy = async (args: string[]) => {
    await rm(log, { force: true });
    const run = await execa(process.execPath, ["--import", pathToFileURL(hook).href, join(REPO_ROOT, "bin", "mlpack"), ...args], {
      env: { ...process.env, NO_COLOR: "1" },
      reject: false,
    });
    const files = (await readFile(log, "utf8").catch(() => "")).split("\n").filter(Boolean);
    return { run, files: [...new Set(files)] };
  };

  it("`mlpack --version` loads the bundle's entry and a few chunks, no file of zod, commander or chalk", async () => {
    const { run, files } = await loadedBy(["--version"]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(files).toContain(pathToFileURL(join(REPO_ROOT, "dist", "app", "main.js")).href);
    expect(files.filter((f) => f.includes("/node_modules/"))).toEqual([]);
    expect(files.filter((f) => f.includes("/dist/") && !f.includes("/dist/app/"))).toEqual([]);
    // tsc's tree loaded ~190 files for this; the bundle's entry plus its shared chunks are a handful.
    expect(files.length).toBeLessThan(20);
  });

  it("a command loaded on demand works from its chunk (templates found relative to dist/app/)", async () => {
    const project = await mkdtemp(join(tmp, "project-"));
    const init = await runCli(["init", "-q"], { cwd: project });
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toBe("wrote mlpack.json\nwrote mlpack.schema.json\n");
    expect(await readFile(join(project, "mlpack.schema.json"), "utf8")).toBe(
      await readFile(join(REPO_ROOT, "schemas", "mlpack.schema.json"), "utf8"),
    );
  });
});

/**
 * dockerode would load gRPC (its BuildKit session) and ssh2 at start, ~1 s on a busy 2-core machine; docker/
 * client stubs them before it loads dockerode. A static `import Docker from "dockerode"` next to the stubs
 * broke that silently once bundled (the bundler hoists the external import above them): this looks at what the
 * CLI process really required after it talked to the engine.
 */
await describeReal("docker", "the bundled CLI talking to the engine", () => {
  let tmp = "";
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), "mlpack-lazy-docker-"));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it("pings the engine without loading @grpc/grpc-js or ssh2", async () => {
    const out = join(tmp, "required.txt");
    const preload = join(tmp, "preload.mjs");
    await writeFile(
      preload,
      `import { createRequire } from "node:module";
import { writeFileSync } from "node:fs";
const cache = createRequire(import.meta.url).cache;
process.on("exit", () => writeFileSync(${JSON.stringify(out)}, Object.keys(cache).join("\\n")));
`,
    );
    const project = await mkdtemp(join(tmp, "project-"));
    // A missing image: discover connects, pings and asks the engine for it, then stops with exit 2.
    const run = await execa(
      process.execPath,
      ["--import", pathToFileURL(preload).href, join(REPO_ROOT, "bin", "mlpack"), "discover", "--image", "mlpack-test/no-such-image:0", "--", "true"],
      { cwd: project, env: { ...process.env, NO_COLOR: "1", CI: "true" }, reject: false },
    );
    expect(run.stderr).toContain("mlpack-test/no-such-image:0");
    expect(run.exitCode).toBe(2);
    const required = (await readFile(out, "utf8")).split("\n");
    expect(required.some((p) => p.includes("/node_modules/dockerode/"))).toBe(true);
    expect(required.filter((p) => p.includes("/node_modules/@grpc/") || p.includes("/node_modules/ssh2/"))).toEqual([]);
  });
});
