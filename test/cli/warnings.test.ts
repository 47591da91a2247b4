import { cp } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { filterNodeWarnings } from "../../src/cli/node-warnings.js";
import { FIXTURE_DIR } from "../ci/support.js";
import { runCli } from "../support/cli.js";
import { useTempProject } from "../support/project.js";

describe("the AWS SDK's Node-version warning", () => {
  it("is dropped in-process; every other warning still reaches the 'warning' listeners", async () => {
    filterNodeWarnings();
    filterNodeWarnings(); // idempotent: main() runs many times in one test process
    const seen: string[] = [];
    const listener = (w: Error) => seen.push(w.message);
    process.on("warning", listener);
    try {
      process.emitWarning("NodeVersionSupportWarning: The AWS SDK for JavaScript (v3)\nversions published …");
      process.emitWarning("mlpack-test: an ordinary warning", { type: "MlpackTestWarning" });
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("warning", listener);
    }
    expect(seen).toEqual(["mlpack-test: an ordinary warning"]);
  });

  it("never reaches stderr on an ECR push, in text or --json", async () => {
    const project = await useTempProject();
    await cp(FIXTURE_DIR, project.dir, { recursive: true });
    expect((await runCli(["discover", "--runner", "local", "-q", "--", "python3", "app.py"], { cwd: project.dir })).code).toBe(0);
    expect((await runCli(["bundle", "-q"], { cwd: project.dir })).code).toBe(0);
    // Fake credentials and an ECR endpoint that refuses connections: the SDK client is built, then fails fast.
    const env = {
      AWS_ACCESS_KEY_ID: "AKIAMLPACKTEST",
      AWS_SECRET_ACCESS_KEY: "not-a-secret",
      AWS_REGION: "us-east-1",
      AWS_ENDPOINT_URL_ECR: "http://127.0.0.1:9",
      AWS_MAX_ATTEMPTS: "1",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined,
    };
    for (const json of [false, true]) {
      const r = await runCli(["push", "--repository", "demo", ...(json ? ["--json"] : [])], { cwd: project.dir, env });
      expect(r.code).toBe(5);
      expect(r.stderr).not.toContain("NodeVersionSupportWarning");
      expect(r.stderr).not.toContain("AWS SDK for JavaScript");
      if (json) expect(JSON.parse(r.stdout).error.code).toMatch(/^E_REGISTRY/);
      else expect(r.stderr).toContain("ECONNREFUSED 127.0.0.1:9");
    }
  });
});
