import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { execa } from "execa";
import { afterAll, beforeAll, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { dockerClient, removeByLabel, TEST_LABEL_KEY } from "../support/docker.js";
import { testEnv } from "../support/env.js";
import { tempProject, useTempProject } from "../support/project.js";
import { describeReal } from "../support/real.js";

const image = testEnv().busyboxImage;
const LABEL = `${TEST_LABEL_KEY}=verify-real`;
const VOLUME_IMAGE = `mlpack-test/verify-volume:${randomBytes(4).toString("hex")}`;

interface FailedJson {
  ok: false;
  error: { code: string; message: string; details: { findings: { kind: string; path?: string; host?: string }[] } };
}

async function tempProjectDir(): Promise<string> {
  const p = await tempProject();
  afterAll(() => p.cleanup());
  return p.dir;
}

async function leftovers(): Promise<number> {
  const filters = JSON.stringify({ label: ["dev.mlpack.command=verify"] });
  return (await dockerClient().listContainers({ all: true, filters })).length;
}

async function leftoverVolumes(): Promise<string[]> {
  const id = (await dockerClient().getImage(VOLUME_IMAGE).inspect()).Id.slice(7, 19);
  const { Volumes } = await dockerClient().listVolumes({ filters: JSON.stringify({ label: ["dev.mlpack.command=verify"] }) });
  return (Volumes ?? []).map((v) => v.Name).filter((n) => n.includes(id));
}

await describeReal("docker", "mlpack verify on the real engine (busybox)", () => {
  beforeAll(async () => {
    const p = await tempProjectDir();
    await writeFile(
      `${p}/Dockerfile`,
      [`FROM ${image}`, "RUN mkdir -p /data && echo baked > /data/model.txt && chmod 0777 /data", "VOLUME /data", ""].join("\n"),
    );
    const built = await execa("docker", ["build", "-q", "--label", LABEL, "-t", VOLUME_IMAGE, p], {
      env: { DOCKER_BUILDKIT: "0" },
      reject: false,
    });
    expect(built.exitCode, built.stderr).toBe(0);
  });

  afterAll(async () => {
    expect(await leftovers()).toBe(0);
    expect(await leftoverVolumes()).toEqual([]);
    await removeByLabel(LABEL);
  });

  it("passes a command that only writes /tmp, as uid 993 with gid 993", async () => {
    const p = await useTempProject();
    const r = await runCli(
      [
        "--json",
        "verify",
        image,
        "--",
        "sh",
        "-c",
        "echo ok > /tmp/probe && cat /tmp/probe && id -u && id -g",
      ],
      { cwd: p.dir },
    );
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { ok: boolean; exitCode: number; outputTail: string; user: string };
    expect(doc).toMatchObject({ ok: true, exitCode: 0, user: "993:993" });
    expect(doc.outputTail).toBe("ok\n993\n993");
  });

  it("fails naming the path a write outside /tmp hit, in text and JSON", async () => {
    const p = await useTempProject();
    const human = await runCli(["verify", image, "--", "sh", "-c", "mkdir /models"], { cwd: p.dir });
    expect(human.code).toBe(1);
    expect(human.stderr).toMatch(/FAIL .*read-only root, no network/);
    expect(human.stderr).toMatch(/\[write\] tried to write \/models/);
    const json = await runCli(["--json", "verify", image, "--", "sh", "-c", "mkdir /models"], {
      cwd: p.dir,
    });
    const doc = JSON.parse(json.stdout) as {
      ok: boolean;
      error: { code: string; details: { findings: { kind: string; path?: string }[] } };
    };
    expect(doc.ok).toBe(false);
    expect(doc.error.code).toBe("E_VERIFY_FAILED");
    expect(doc.error.details.findings).toContainEqual(
      expect.objectContaining({ kind: "write", path: "/models" }),
    );
  });

  it("fails naming a network attempt (no network in the container)", async () => {
    const p = await useTempProject();
    const r = await runCli(
      ["--json", "verify", image, "--", "sh", "-c", "wget -q -O- http://example.com/model.bin"],
      { cwd: p.dir },
    );
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as FailedJson;
    // One finding per cause, naming the host (wget prints it once; a Python traceback five times).
    expect(doc.error.details.findings).toEqual([
      expect.objectContaining({ kind: "network", host: "example.com" }),
    ]);
  });

  it("reports a plain non-zero exit, and a missing image as a usage error", async () => {
    const p = await useTempProject();
    const failed = await runCli(["verify", image, "--", "sh", "-c", "echo boom; exit 3"], { cwd: p.dir });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain("[command] exited with code 3");
    expect(failed.stderr).toContain("boom");
    const missing = await runCli(["verify", "mlpack-test/does-not-exist:nope"], { cwd: p.dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("not in the local Docker engine");
  });

  it("a VOLUME is read-only (Lambda has no volumes) and keeps the image's content; the volume is removed", async () => {
    const p = await useTempProject();
    const read = await runCli(["--json", "verify", VOLUME_IMAGE, "--", "cat", "/data/model.txt"], { cwd: p.dir });
    expect(read.code, read.stdout + read.stderr).toBe(0);
    const ok = JSON.parse(read.stdout) as { outputTail: string; volumes: string[]; findings: { kind: string; severity: string }[] };
    expect(ok.outputTail).toBe("baked");
    expect(ok.volumes).toEqual(["/data"]);
    expect(ok.findings).toContainEqual(expect.objectContaining({ kind: "volume", severity: "warning" }));
    const write = await runCli(["--json", "verify", VOLUME_IMAGE, "--", "sh", "-c", "echo x > /data/new"], { cwd: p.dir });
    expect(write.code).toBe(1);
    const doc = JSON.parse(write.stdout) as FailedJson;
    expect(doc.error.code).toBe("E_VERIFY_FAILED");
    expect(doc.error.details.findings).toContainEqual(expect.objectContaining({ kind: "write", path: "/data/new" }));
  });

  it("/dev/shm does not exist (Lambda has none), so a write there fails naming it", async () => {
    const p = await useTempProject();
    const r = await runCli(["--json", "verify", image, "--", "sh", "-c", "echo x > /dev/shm/lock"], { cwd: p.dir });
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as FailedJson;
    expect(doc.error.details.findings).toEqual([expect.objectContaining({ kind: "write", path: "/dev/shm" })]);
    expect(doc.error.message).toContain("Lambda does not have");
  });

  it("refuses uid 0 from the flag and from mlpack.json, and a fractional uid, with exit 2", async () => {
    const p = await useTempProject({ "mlpack.json": JSON.stringify({ verify: { uid: 0 } }) });
    const file = await runCli(["--json", "verify", image, "--", "true"], { cwd: p.dir });
    expect(file.code).toBe(2);
    expect(JSON.parse(file.stdout)).toMatchObject({
      error: { code: "E_CONFIG", message: expect.stringMatching(/^mlpack\.json: verify\.uid 0: must not be 0: Lambda never runs/) },
    });
    const q = await useTempProject();
    for (const uid of ["0", "993.5"]) {
      const flag = await runCli(["verify", "--uid", uid, image, "--", "true"], { cwd: q.dir });
      expect(flag.code, uid).toBe(2);
      expect(flag.stderr).toContain(`--uid ${uid}:`);
      expect(flag.stderr).not.toContain("bug in mlpack");
    }
  });

  it("--timeout stops the image and reports it, with one finding", async () => {
    const p = await useTempProject();
    const started = Date.now();
    const r = await runCli(["--json", "verify", "--timeout", "2", image, "--", "sleep", "60"], { cwd: p.dir });
    // A product bound with an honest margin for a loaded machine: far below the 60 s the command wanted.
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as FailedJson;
    expect(doc.error.details.findings).toEqual([
      expect.objectContaining({ kind: "command", message: "timed out after 2s" }),
    ]);
  });
});
