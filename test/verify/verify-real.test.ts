import { afterAll, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { dockerClient } from "../support/docker.js";
import { testEnv } from "../support/env.js";
import { useTempProject } from "../support/project.js";
import { describeReal } from "../support/real.js";

const image = testEnv().busyboxImage;

async function leftovers(): Promise<number> {
  const filters = JSON.stringify({ label: ["dev.mlpack.command=verify"] });
  return (await dockerClient().listContainers({ all: true, filters })).length;
}

await describeReal("docker", "mlpack verify on the real engine (busybox)", () => {
  afterAll(async () => {
    expect(await leftovers()).toBe(0);
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
    const doc = JSON.parse(r.stdout) as { error: { details: { findings: { kind: string }[] } } };
    expect(doc.error.details.findings.map((f) => f.kind)).toContain("network");
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
});
