import { describe, expect, it } from "vitest";
import { precheckIncludes } from "../../src/discover/classify-run.js";
import {
  includeArgument,
  includeValue,
  parseIncludeSpec,
  portablePath,
  portableSlug,
  resolveIncludePath,
} from "../../src/discover/include-spec.js";

const DOCKER = { home: "/root", projectRoot: "/var/task" };
const LOCAL = { home: "/work/p/.mlpack/tmp/home-Ab12", projectRoot: "/work/p" };

describe("--include values", () => {
  it.each([
    ["~/.mylib", "/root/.mylib", "/work/p/.mlpack/tmp/home-Ab12/.mylib"],
    ["~/.cache/mylib/", "/root/.cache/mylib", "/work/p/.mlpack/tmp/home-Ab12/.cache/mylib"],
    ["$HOME/.mylib", "/root/.mylib", "/work/p/.mlpack/tmp/home-Ab12/.mylib"],
    ["${HOME}/x//y", "/root/x/y", "/work/p/.mlpack/tmp/home-Ab12/x/y"],
    ["~", "/root", "/work/p/.mlpack/tmp/home-Ab12"],
    ["/opt/ml/models/", "/opt/ml/models", "/opt/ml/models"],
    ["models", "/var/task/models", "/work/p/models"],
    ["./out/cache", "/var/task/out/cache", "/work/p/out/cache"],
  ])("%s resolves against the run's HOME and project on both runners", (raw, docker, local) => {
    const spec = parseIncludeSpec(raw);
    expect(spec.variable).toBeUndefined();
    expect(resolveIncludePath(spec.path, DOCKER)).toBe(docker);
    expect(resolveIncludePath(spec.path, LOCAL)).toBe(local);
  });

  it("=VAR names the variable; the path part keeps its form", () => {
    expect(parseIncludeSpec("~/.mylib=MYLIB_HOME")).toEqual({
      raw: "~/.mylib=MYLIB_HOME",
      path: { base: "home", rel: ".mylib" },
      variable: "MYLIB_HOME",
    });
    expect(parseIncludeSpec("/data/a=b=_X1").variable).toBe("_X1");
    expect(parseIncludeSpec("/data/a=b=_X1").path).toEqual({ base: "abs", path: "/data/a=b" });
  });

  it.each([
    ["", "empty path"],
    ["~/.mylib=1X", '"1X" after "=" is not a variable name'],
    ["~/.mylib=", '"" after "=" is not a variable name'],
    ["=X", "no path before ="],
    ["~bob/.cache", "not ~user"],
    ["$XDG_CACHE_HOME/x", "only $HOME is expanded"],
    ["~/../etc", '".." is not allowed'],
    ["/opt/../etc", '".." is not allowed'],
    ["~/a\nb", "control characters"],
    [".", "the project folder itself"],
  ])("%j is exit 2: %s", (raw, why) => {
    let error: unknown;
    try {
      parseIncludeSpec(raw);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: "E_USAGE", exitCode: 2 });
    expect((error as Error).message).toContain(why);
    expect((error as Error).message).not.toContain("\n");
  });

  it("paths are written portably: ~ under HOME, ./ under the project, else absolute", () => {
    expect(portablePath("/root/.mylib", DOCKER)).toBe("~/.mylib");
    expect(portablePath("/work/p/.mlpack/tmp/home-Ab12/.mylib", LOCAL)).toBe("~/.mylib");
    expect(portablePath("/work/p/models", LOCAL)).toBe("./models");
    expect(portablePath("/var/task/models", DOCKER)).toBe("./models");
    expect(portablePath("/opt/x", DOCKER)).toBe("/opt/x");
    expect(portablePath("/root", DOCKER)).toBe("~");
    expect(includeValue("/root/.mylib", DOCKER, "MYLIB_HOME")).toBe("~/.mylib=MYLIB_HOME");
  });

  it("the printed argument is single-quoted, so a shell keeps ~ for mlpack to expand", () => {
    expect(includeArgument("~/.mylib=MYLIB_HOME")).toBe("--include '~/.mylib=MYLIB_HOME'");
    expect(includeArgument("~/it's here")).toBe("--include '~/it'\\''s here'");
  });

  it("ids do not depend on where HOME or the project is", () => {
    expect(portableSlug("/root/.cache/mylib", DOCKER)).toBe("cache-mylib");
    expect(portableSlug("/work/p/.mlpack/tmp/home-Ab12/.cache/mylib", LOCAL)).toBe("cache-mylib");
    expect(portableSlug("/var/task/models", DOCKER)).toBe("project-models");
    expect(portableSlug("/work/p/models", LOCAL)).toBe("project-models");
    expect(portableSlug("/opt/ml/Models v2", DOCKER)).toBe("opt-ml-models-v2");
  });

  it.each(["~/.aws", "$HOME/.ssh", "/root/.docker", "~/.netrc", "~/.aws/cli", "~/.config/gcloud=X"])(
    "%s is refused before the model runs (E_INCLUDE_SECRET, exit 2)",
    (raw) => {
      expect(() => precheckIncludes([raw])).toThrow(expect.objectContaining({ code: "E_INCLUDE_SECRET", exitCode: 2 }));
    },
  );

  it("the refusal names the rule and the folder", () => {
    expect(() => precheckIncludes(["~/.aws/cli"])).toThrow("--include ~/.aws/cli: ~/.aws is a secret (AWS credentials)");
    expect(() => precheckIncludes(["~/.mylib", "/opt/models"])).not.toThrow();
  });
});
