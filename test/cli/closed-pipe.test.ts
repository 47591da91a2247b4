import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { CLI_BIN } from "../support/cli.js";

/**
 * `mlpack --help | head -3`: the reader exits, the CLI's next write gets EPIPE. The shell below closes the
 * pipe's read end at once (`exec 0<&-`), long before Node has started, so every write the CLI makes fails.
 */
const intoClosedPipe = (args: string[]) =>
  execa("bash", ["-c", `"$0" "$1" ${args.map((_, i) => `"\${${i + 2}}"`).join(" ")} | (exec 0<&-; true); echo "status \${PIPESTATUS[0]}" >&2`, process.execPath, CLI_BIN, ...args], {
    env: { ...process.env, NO_COLOR: "1" },
    reject: false,
  });

describe("output into a closed pipe", () => {
  it("`mlpack --help` ends quietly with exit 0, no stack trace", async () => {
    const run = await intoClosedPipe(["--help"]);
    expect(run.stderr).toBe("status 0");
  });

  it("`mlpack catalog` (a longer table) ends quietly with exit 0", async () => {
    const run = await intoClosedPipe(["catalog"]);
    expect(run.stderr).toBe("status 0");
  });

  it("a failing command keeps its exit code and still says why on stderr", async () => {
    const run = await intoClosedPipe(["-C", join("/nonexistent", "mlpack-closed-pipe"), "bundle"]);
    expect(run.stderr).toContain("no such folder");
    expect(run.stderr).toMatch(/status 2$/);
  });
});
