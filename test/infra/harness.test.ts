import { readFileSync } from "node:fs";
import { access, readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { tempProject, useTempProject } from "../support/project.js";

const version = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
).version;

describe("tempProject", () => {
  it("writes nested files into a fresh directory and removes it idempotently", async () => {
    const project = await tempProject({ "model.py": "print(1)\n", "pkg/data/a.txt": "a" });
    expect(await readFile(project.path("model.py"), "utf8")).toBe("print(1)\n");
    expect(await readFile(project.path("pkg", "data", "a.txt"), "utf8")).toBe("a");
    await project.cleanup();
    await project.cleanup();
    await expect(access(project.dir)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("refuses paths that escape the project", async () => {
    await expect(tempProject({ "../escape.txt": "x" })).rejects.toThrow(/inside the project/);
  });

  let finishedDir = "";
  it("gives a project for the current test with useTempProject", async () => {
    const project = await useTempProject({ "a.txt": "a" });
    finishedDir = project.dir;
    expect(await readFile(project.path("a.txt"), "utf8")).toBe("a");
  });

  it("removed that project when its test finished", async () => {
    expect(finishedDir).not.toBe("");
    await expect(access(finishedDir)).rejects.toMatchObject({ code: "ENOENT" });
  });
});

describe("runCli (spawns the built bin/mlpack)", () => {
  it("returns exit code and output of the real CLI", async () => {
    const project = await useTempProject();
    const result = await runCli(["--version"], { cwd: project.dir });
    expect(result).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
  });

  it("reports a usage error with a non-zero exit code instead of throwing", async () => {
    const result = await runCli(["--no-such-option"]);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("--no-such-option");
  });
});
