import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildImage } from "../../src/image/build-image.js";
import { containerdImageName, dockerLoadStream, parseImageReference } from "../../src/image/docker-load.js";
import { openLayout } from "../../src/image/layout-reader.js";
import {
  dockerReachable,
  ensureBusyboxImage,
  expectedRootfs,
  stageFixture,
  tempDir,
  treeRecords,
} from "./helpers.js";

describe("image references", () => {
  it.each([
    [
      "mlpack-assets",
      { repository: "mlpack-assets", tag: "latest" },
      "docker.io/library/mlpack-assets:latest",
    ],
    ["team/assets:v1", { repository: "team/assets", tag: "v1" }, "docker.io/team/assets:v1"],
    ["localhost:5000/a:b", { repository: "localhost:5000/a", tag: "b" }, "localhost:5000/a:b"],
    ["ghcr.io/o/a", { repository: "ghcr.io/o/a", tag: "latest" }, "ghcr.io/o/a:latest"],
  ])("%s", (ref, parsed, full) => {
    expect(parseImageReference(ref)).toEqual(parsed);
    expect(containerdImageName(parseImageReference(ref))).toBe(full);
  });

  it("rejects digest references", () => {
    expect(() => parseImageReference("a@sha256:00")).toThrow(/cannot load/);
  });
});

const hasDocker = dockerReachable();
const tmp = tempDir("mlpack-docker-");
const suffix = randomBytes(4).toString("hex");
const assetTag = `mlpack-test/assets:${suffix}`;
const finalTag = `mlpack-test/final:${suffix}`;
const cleanupCmds: string[][] = [];

afterAll(() => {
  for (const args of cleanupCmds.reverse()) {
    try {
      execFileSync("docker", args, { stdio: "ignore" });
    } catch {
      // already gone
    }
  }
  tmp.cleanup();
});

describe.skipIf(!hasDocker)("docker engine accepts the image", () => {
  let assets: ReturnType<typeof stageFixture>;

  beforeAll(async () => {
    assets = stageFixture(join(tmp.dir, "staged"));
    const layout = join(tmp.dir, "oci");
    await buildImage({
      assets,
      assetRoot: "/cache",
      compression: "auto",
      platform: "linux/amd64",
      sourceDateEpoch: 0,
      labels: {},
      layoutDir: layout,
    });
    const load = spawn("docker", ["load"], { stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    load.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => load.on("close", resolve));
    await pipeline(dockerLoadStream(await openLayout(layout), assetTag), load.stdin);
    expect(await exited).toBe(0);
    cleanupCmds.push(["rmi", "-f", assetTag]);
    expect(out).toContain(`Loaded image: ${assetTag}`);
  });

  it("docker create + export shows exactly the staged files", () => {
    const id = execFileSync("docker", ["create", assetTag, "/none"]).toString().trim();
    cleanupCmds.push(["rm", "-f", id]);
    const out = join(tmp.dir, "export");
    mkdirSync(out);
    execFileSync("sh", ["-c", `docker export ${id} | tar -x -C '${out}' cache`]);
    expect(treeRecords(out, false)).toEqual(expectedRootfs(assets));
  });

  it("legacy-builder COPY --from keeps HF relative symlinks working", () => {
    const base = ensureBusyboxImage();
    const ctx = join(tmp.dir, "ctx");
    mkdirSync(ctx);
    writeFileSync(
      join(ctx, "Dockerfile"),
      `FROM ${assetTag} AS a\nFROM ${base}\nCOPY --from=a /cache /cache\n`,
    );
    execFileSync("docker", ["build", "-q", "-t", finalTag, ctx], {
      env: { ...process.env, DOCKER_BUILDKIT: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    cleanupCmds.push(["rmi", "-f", finalTag]);
    const snapshot = "/cache/huggingface/hub/models--org--alpha/snapshots/0123456789abcdef";
    const script = `for b in /bin/busybox /busybox /usr/bin/busybox; do [ -x $b ] && B=$b; done; $B readlink ${snapshot}/config.json; $B cat ${snapshot}/config.json; $B stat -c '%a %u %g %s' /cache/nltk_data/tokenizers/punkt/english.pickle`;
    const out = execFileSync("docker", [
      "run",
      "--rm",
      "--network",
      "none",
      finalTag,
      "/bin/sh",
      "-c",
      script,
    ])
      .toString()
      .split("\n");
    expect(out[0]).toBe("../../blobs/cfg0001");
    expect(out[1]).toBe('{"model":"models--org--alpha"}');
    expect(out[2]).toBe("644 0 0 50000");
  });
});
