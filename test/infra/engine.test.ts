import { afterAll, expect, it } from "vitest";
import { demuxDockerStream, dockerClient, removeByLabel } from "../support/docker.js";
import { testEnv } from "../support/env.js";
import { describeReal } from "../support/real.js";

const LABEL_KEY = "dev.mlpack.test";
// Per run: other checkouts run this file on the same engine, and afterAll removes everything with this label.
const LABEL_VALUE = `infra-${Math.random().toString(36).slice(2, 10)}`;
const LABEL = `${LABEL_KEY}=${LABEL_VALUE}`;

/** Runs `cmd` in a fresh labelled container of the busybox image and waits for it to exit. */
async function runBusybox(cmd: string[], user?: string) {
  const container = await dockerClient().createContainer({
    Image: testEnv().busyboxImage,
    Cmd: cmd,
    ...(user === undefined ? {} : { User: user }),
    Labels: { [LABEL_KEY]: LABEL_VALUE },
    HostConfig: { NetworkMode: "none" },
  });
  await container.start();
  const { StatusCode } = (await container.wait()) as { StatusCode: number };
  const logs = await container.logs({ stdout: true, stderr: true, follow: false });
  return { container, code: StatusCode, ...demuxDockerStream(logs) };
}

await describeReal("docker", "docker engine (real)", () => {
  afterAll(async () => {
    await removeByLabel(LABEL);
  });

  it("runs a busybox container, reports its filesystem changes and removes it", async () => {
    const { container, code, stdout, stderr } = await runBusybox([
      "sh",
      "-c",
      "echo hello > /tmp/x && cat /tmp/x",
    ]);
    expect({ code, stdout, stderr }).toEqual({ code: 0, stdout: "hello\n", stderr: "" });

    const changes = (await container.changes()) as Array<{ Path: string; Kind: number }>;
    expect(changes).toContainEqual({ Path: "/tmp/x", Kind: 1 });

    await container.remove({ force: true });
    const left = await dockerClient().listContainers({ all: true, filters: { label: [LABEL] } });
    expect(left.map((c) => c.Id)).not.toContain(container.id);
    expect(left).toEqual([]);
  });

  it("has the Lambda sandbox user and a world-writable /tmp in the base image", async () => {
    const { code, stdout } = await runBusybox(
      ["sh", "-c", "id -u; id -un; touch /tmp/y && stat -c %a /tmp"],
      "sbx_user1051",
    );
    expect(code).toBe(0);
    expect(stdout).toBe("993\nsbx_user1051\n1777\n");
  });
});
