import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  DockerCodeScanner,
  HostCodeScanner,
  parseScanOutput,
  pythonOf,
} from "../../src/discover/code-scan.js";
import { noopEmit } from "../../src/events.js";
import { dockerClient, TEST_LABEL_KEY } from "../support/docker.js";
import { testEnv } from "../support/env.js";
import { useTempProject } from "../support/project.js";
import { describeReal } from "../support/real.js";

const ctx = { emit: noopEmit };

const PACKAGE = {
  "mylib/__init__.py": [
    "import os",
    "from os import environ, getenv",
    "from os.path import join, expanduser",
    "",
    'DATA = os.environ.get("MYLIB_HOME", os.path.join(os.path.expanduser("~"), ".mylib"))',
    'ROOT = join(getenv("MYLIB_ROOT", "~"), ".mylib")',
    "",
    "def home():",
    '    h = os.environ.get("MYLIB_DIR")',
    "    if h is None:",
    '        h = "~/.mylib"',
    "    return h",
    "",
    'if "MYLIB_FORCE" in os.environ and environ["MYLIB_FORCE"] == "/srv/mylib/models":',
    "    pass",
    "",
  ].join("\n"),
  // A test suite mentions the name next to a lookup too; it is not the library.
  "mylib/tests/test_home.py": 'import os\nX = os.environ.get("MYLIB_TEST_HOME", "~/.mylib")\n',
  "mylib/broken.py": 'import os\nX = os.environ.get("BROKEN", "~/.mylib"\n',
  "other/__init__.py": 'import os\nC = os.getenv("OTHER_DATA", os.path.join("~", "other_data"))\n',
};

describe("the Python code scanner (host python)", () => {
  it("finds lookups next to the folder's name, in tiers, relative to the sys.path entry, skipping tests", async () => {
    const project = await useTempProject(PACKAGE);
    const scanner = new HostCodeScanner({ python: "python3", cwd: project.dir });
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: project.dir };
    const requests = [
      { name: ".mylib", match: "segment" as const },
      { name: "/srv/mylib", match: "substring" as const },
      { name: "nowhere_at_all", match: "segment" as const },
    ];
    const result = await scanner.scan(requests, env, ctx);
    expect(result.available, result.reason).toBe(true);
    expect(result.files).toBeGreaterThan(3);
    const ours = result.hits.filter((h) => h.file.startsWith("mylib/") || h.file.startsWith("other/"));
    expect(ours.map((h) => [h.name, h.variable, h.file, h.line, h.tier, h.relation])).toEqual([
      [".mylib", "MYLIB_HOME", "mylib/__init__.py", 5, 1, "dir"],
      [".mylib", "MYLIB_ROOT", "mylib/__init__.py", 6, 1, "parent"],
      [".mylib", "MYLIB_DIR", "mylib/__init__.py", 9, 2, "dir"],
      [".mylib", "MYLIB_FORCE", "mylib/__init__.py", 14, 2, "dir"],
      ["/srv/mylib", "MYLIB_FORCE", "mylib/__init__.py", 14, 1, "dir"],
    ]);
    expect(ours[0]?.text).toBe('DATA = os.environ.get("MYLIB_HOME", os.path.join(os.path.expanduser("~"), ".mylib"))');
    // Same code, same answer: --check can rely on it.
    expect((await scanner.scan(requests, env, ctx)).hits).toEqual(result.hits);
  });

  it("a python that is not there is 'unavailable', not an error", async () => {
    const project = await useTempProject();
    const scanner = new HostCodeScanner({ python: "python-does-not-exist", cwd: project.dir });
    const result = await scanner.scan([{ name: ".x", match: "segment" }], { PATH: "/usr/bin:/bin" }, ctx);
    expect(result).toMatchObject({ available: false, hits: [] });
    expect(result.reason).toContain("python-does-not-exist");
  });

  it("output that is not the scanner's document is refused", () => {
    expect(parseScanOutput("Traceback (most recent call last):\n")).toMatchObject({ available: false });
    expect(parseScanOutput('{"version": 2, "files": 1, "hits": []}')).toMatchObject({ available: false });
    expect(
      parseScanOutput(
        '{"version": 1, "files": 2, "hits": [{"name": "a", "variable": "X;rm", "file": "f", "line": 1, "tier": 1, "relation": "dir", "text": ""}]}',
      ),
    ).toMatchObject({ available: false });
    expect(parseScanOutput('noise\n{"version": 1, "files": 2, "hits": []}\n')).toEqual({ available: true, hits: [], files: 2 });
  });

  it("uses the model command's interpreter when it is a python", () => {
    expect(pythonOf(["python3.11", "app.py"])).toBe("python3.11");
    expect(pythonOf(["/venv/bin/python", "app.py"])).toBe("/venv/bin/python");
    expect(pythonOf(["sh", "run.sh"])).toBe("python3");
  });
});

await describeReal(["pythonImage"], "the Python code scanner in a throwaway container", () => {
  const docker = dockerClient();

  /** A scanner whose containers carry a label of this test, and a count of those still there. */
  function labelled(image: string, projectDir: string) {
    const value = `unknown-scan-${randomBytes(4).toString("hex")}`;
    const scanner = new DockerCodeScanner({ docker, image, workdir: "/var/task", projectDir, labels: { [TEST_LABEL_KEY]: value } });
    const left = async () =>
      (await docker.listContainers({ all: true, filters: { label: [`${TEST_LABEL_KEY}=${value}`] } })).length;
    return { scanner, left };
  }

  it("finds scikit-learn's SCIKIT_LEARN_DATA in the image's own site-packages, and the project's code; removes its container", async () => {
    const project = await useTempProject(PACKAGE);
    const { scanner, left } = labelled(testEnv().pythonImage, project.dir);
    const result = await scanner.scan(
      [
        { name: "scikit_learn_data", match: "segment" },
        { name: ".mylib", match: "segment" },
      ],
      {},
      ctx,
    );
    expect(result.available, result.reason).toBe(true);
    expect(result.hits).toContainEqual(
      expect.objectContaining({
        name: "scikit_learn_data",
        variable: "SCIKIT_LEARN_DATA",
        file: "sklearn/datasets/_base.py",
        tier: 1,
        relation: "dir",
      }),
    );
    // The project (copied to the workdir, first on sys.path) comes before site-packages.
    expect(result.hits.find((h) => h.name === ".mylib")).toMatchObject({ variable: "MYLIB_HOME", file: "mylib/__init__.py", line: 5 });
    expect(await left()).toBe(0);
  });

  it("an image without python is 'unavailable' and leaves nothing behind", async () => {
    const project = await useTempProject({ "run.sh": "true\n" });
    const { scanner, left } = labelled(testEnv().busyboxImage, project.dir);
    const result = await scanner.scan([{ name: ".x", match: "segment" }], {}, ctx);
    expect(result).toMatchObject({ available: false, hits: [] });
    expect(result.reason).toMatch(/no Python interpreter in .*busybox/);
    expect(await left()).toBe(0);
  });
});
