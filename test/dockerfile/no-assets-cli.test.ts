import { readFile } from "node:fs/promises";
import { expect, it } from "vitest";
import { serializeLock } from "../../src/lock/lock.js";
import { runCli } from "../support/cli.js";
import { useTempProject } from "../support/project.js";
import { writableHome } from "./locks.js";

it("mlpack dockerfile --no-assets: the app-only Dockerfile, no asset image needed; the wrapper stays for assemble", async () => {
  // No .mlpack/state.json at all: nothing was bundled, and nothing needs to be.
  const p = await useTempProject({ "app.py": "def handler(e, c): pass\n", "mlpack.lock.json": serializeLock(writableHome) });
  const r = await runCli(["--json", "dockerfile", "--no-assets", "-o", "Dockerfile.app"], { cwd: p.dir });
  expect(r.code, r.stdout + r.stderr).toBe(0);
  const doc = JSON.parse(r.stdout) as { assetImage: unknown; env: object; copies: unknown[]; entrypoint: string[] };
  expect(doc).toMatchObject({ assetImage: null, env: {}, copies: [] });
  const text = await readFile(p.path("Dockerfile.app"), "utf8");
  expect(text.match(/^FROM /gm)).toEqual(["FROM "]);
  expect(text).not.toMatch(/mlpack-assets|^ENV |^LABEL /m);
  expect(text).toContain("COPY app.py /var/task/app.py");
  // The ENV block (with the view's variable) stays with the assets; the wrapper that builds the view is app code.
  expect(doc.entrypoint.slice(0, 2)).toEqual(["/opt/mlpack/entrypoint.sh", "--view"]);
  expect(text).toMatch(/^ENTRYPOINT \["\/opt\/mlpack\/entrypoint.sh"/m);
  expect(await readFile(p.path(".dockerignore"), "utf8")).toContain(".mlpack/");
});
