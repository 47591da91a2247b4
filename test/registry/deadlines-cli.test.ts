import { expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { useTempProject } from "../support/project.js";
import { endlessBody, startHttpServer } from "./support/bad-servers.js";
import { randomImage, writeLayout } from "./support/image.js";

/** Issue 12 end to end, with the real default deadlines: an endless answer stops `mlpack push` at once. */
it("mlpack push against a registry with an endless answer: exit 5 at once, the host and the step named", async () => {
  const server = await startHttpServer((_req, res) => endlessBody(res));
  try {
    const project = await useTempProject();
    await writeLayout(project.path(".mlpack", "oci"), randomImage([2048]));
    const started = Date.now();
    const r = await runCli(["push", "--json", "--registry", server.host, "--repository", "x/y"], {
      cwd: project.dir,
      timeoutMs: 60_000,
    });
    const seconds = (Date.now() - started) / 1000;
    expect(r.code, r.stderr).toBe(5);
    const doc = JSON.parse(r.stdout) as { ok: boolean; error: { code: string; message: string; hint: string } };
    expect(doc.ok).toBe(false);
    expect(doc.error.code).toBe("E_REGISTRY_RESPONSE_TOO_LARGE");
    expect(doc.error.message).toBe(
      `${server.host} answered the API check (GET http://${server.host}/v2/) with more than 64.0 KiB`,
    );
    expect(doc.error.hint).toContain(server.host);
    // Node start-up plus one request: nowhere near the 25 minutes (or forever) of before.
    expect(seconds).toBeLessThan(30);
  } finally {
    await server.close();
  }
});
