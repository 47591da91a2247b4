import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { lockDigest } from "../../src/lock/lock-digest.js";
import { demuxLogs } from "../../src/verify/container-run.js";
import { hostsIn, outputFindings, pathsIn, pathsOfOtherCauses, scanOutput } from "../../src/verify/diagnose.js";
import { checkAgainstLock } from "../../src/verify/lock-check.js";
import { handlerImportScript, type ImageFacts, planVerify } from "../../src/verify/plan.js";
import { nltkGensimTorch } from "../dockerfile/locks.js";

const IMAGE: ImageFacts = {
  id: `sha256:${"c".repeat(64)}`,
  env: { PATH: "/usr/bin", LAMBDA_TASK_ROOT: "/var/task" },
  entrypoint: ["/lambda-entrypoint.sh"],
  cmd: ["app.handler"],
  labels: {},
};

describe("planVerify", () => {
  it("runs like Lambda: read-only, no network, tmpfs /tmp, non-root uid:gid, no capabilities, HOME untouched", () => {
    const plan = planVerify(IMAGE, { command: [], uid: 993, tmpSizeMb: 512 });
    expect(plan.create.User).toBe("993:993");
    expect(plan.create.HostConfig).toMatchObject({
      ReadonlyRootfs: true,
      NetworkMode: "none",
      Tmpfs: { "/tmp": "rw,nosuid,nodev,size=512m,mode=1777" },
      CapDrop: ["ALL"],
    });
    expect(plan.create.Labels).toMatchObject({
      "dev.mlpack.managed": "true",
      "dev.mlpack.command": "verify",
    });
    const env = plan.create.Env ?? [];
    expect(env).toContain("AWS_LAMBDA_FUNCTION_NAME=mlpack-verify");
    expect(env).toContain("_HANDLER=app.handler");
    expect(env.some((e) => e.startsWith("HOME="))).toBe(false);
    expect(env.some((e) => e.startsWith("LAMBDA_TASK_ROOT="))).toBe(false);
  });

  it("imports the handler named by CMD with the entrypoint overridden", () => {
    const plan = planVerify(IMAGE, { command: [], uid: 993, tmpSizeMb: 64 });
    expect(plan.source).toBe("handler");
    expect(plan.create.Entrypoint).toEqual(["python3", "-c", handlerImportScript("app.handler")]);
    expect(handlerImportScript("pkg.api.handler")).toContain('importlib.import_module("pkg.api")');
    expect(handlerImportScript("pkg.api.handler")).toContain('getattr(m, "handler", None)');
  });

  it("has no /dev/shm, mounts each VOLUME as a read-only named volume, keeps /tmp a tmpfs", () => {
    const plan = planVerify(
      { ...IMAGE, volumes: ["/data", "/tmp", "/models"] },
      { command: [], uid: 993, tmpSizeMb: 64, volumeName: (i) => `v${i}` },
    );
    expect(plan.create.HostConfig?.IpcMode).toBe("none");
    expect(plan.volumes).toEqual([
      { name: "v0", target: "/data" },
      { name: "v1", target: "/models" },
    ]);
    expect(plan.create.HostConfig?.Mounts).toEqual([
      { Type: "volume", Source: "v0", Target: "/data", ReadOnly: true },
      { Type: "volume", Source: "v1", Target: "/models", ReadOnly: true },
    ]);
  });

  it("refuses uid 0 (Lambda never runs as root) and a uid that is not a whole number", () => {
    expect(() => planVerify(IMAGE, { command: [], uid: 0, tmpSizeMb: 64 })).toThrow(/never runs a function as root/);
    expect(() => planVerify(IMAGE, { command: [], uid: 993.5, tmpSizeMb: 64 })).toThrow(/whole number/);
    expect(() => planVerify(IMAGE, { command: [], uid: -1, tmpSizeMb: 64 })).toThrow(UsageError);
  });

  it("starts a substituted command behind the image's entrypoint wrapper, as Lambda would", () => {
    const wrapped: ImageFacts = {
      ...IMAGE,
      entrypoint: ["/opt/mlpack/entrypoint.sh", "--view", "/cache/a", "/tmp/mlpack-writable/a", "--", "/lambda-entrypoint.sh"],
    };
    const handler = planVerify(wrapped, { command: [], uid: 993, tmpSizeMb: 64 });
    expect(handler.wrapper).toEqual(["/opt/mlpack/entrypoint.sh", "--view", "/cache/a", "/tmp/mlpack-writable/a", "--"]);
    expect(handler.create.Entrypoint).toEqual([...handler.wrapper!, "python3", "-c", handlerImportScript("app.handler")]);
    const given = planVerify(wrapped, { command: ["python3", "check.py"], uid: 993, tmpSizeMb: 64 });
    expect(given.create).toMatchObject({ Entrypoint: [...handler.wrapper!, "python3"], Cmd: ["check.py"] });
    expect(given.display).toEqual(["python3", "check.py"]);
    expect(planVerify(IMAGE, { command: [], uid: 993, tmpSizeMb: 64 }).wrapper).toBeNull();
  });

  it("runs a given command instead, and the image's own command when CMD is not a handler", () => {
    const given = planVerify(IMAGE, { command: ["python3", "check.py"], uid: 1000, tmpSizeMb: 64 });
    expect(given.create).toMatchObject({ Entrypoint: ["python3"], Cmd: ["check.py"], User: "1000:1000" });
    const own = planVerify(
      { ...IMAGE, env: {}, cmd: ["python3", "serve.py"] },
      { command: [], uid: 993, tmpSizeMb: 64 },
    );
    expect(own.source).toBe("image");
    expect(own.create.Entrypoint).toBeUndefined();
    expect(own.create.Env).toContain("LAMBDA_TASK_ROOT=/var/task");
    expect(() =>
      planVerify({ ...IMAGE, entrypoint: [], cmd: [] }, { command: [], uid: 993, tmpSizeMb: 64 }),
    ).toThrow(UsageError);
  });
});

describe("scanOutput", () => {
  it("names the paths something tried to write", () => {
    const scan = scanOutput(
      [
        "OSError: [Errno 30] Read-only file system: '/home/sbx_user1051/.cache'",
        "mkdir: can't create directory '/root/.keras': Read-only file system",
        "PermissionError: [Errno 13] Permission denied: '/var/task/out.json'",
      ].join("\n"),
    );
    expect(scan.writes.map((w) => w.path)).toEqual([
      "/home/sbx_user1051/.cache",
      "/root/.keras",
      "/var/task/out.json",
    ]);
    const findings = outputFindings(scan, "error");
    expect(findings.map((f) => f.kind)).toEqual(["write", "write", "write"]);
    expect(findings[0]!.message).toContain("tried to write /home/sbx_user1051/.cache");
  });

  it("names network attempts with their host, one finding per host however many lines repeat it", () => {
    const scan = scanOutput(
      [
        "urllib.error.URLError: <urlopen error [Errno -3] Temporary failure in name resolution>",
        "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='huggingface.co', port=443): Max retries exceeded",
        "urllib3.exceptions.NameResolutionError: Failed to resolve 'huggingface.co' ([Errno -3] Temporary failure in name resolution)",
        "socket.gaierror: [Errno -3] Temporary failure in name resolution",
        "wget: bad address 'example.com'",
      ].join("\n"),
    );
    expect(scan.network).toHaveLength(5);
    const findings = outputFindings(scan, "warning");
    expect(findings.map((f) => f.host)).toEqual(["huggingface.co", "example.com"]);
    expect(findings.every((f) => f.kind === "network" && f.severity === "warning")).toBe(true);
    expect(findings[0]!.message).toMatch(/^tried to reach huggingface\.co /);
  });

  it("attributes a host-less network failure to the URL the output was downloading", () => {
    const scan = scanOutput(
      [
        "Downloading https://raw.githubusercontent.com/nltk/nltk_data/gh-pages/index.xml",
        "Traceback (most recent call last):",
        "urllib.error.URLError: <urlopen error [Errno -3] Temporary failure in name resolution>",
        "During handling of the above exception, another exception occurred:",
        "urllib.error.URLError: <urlopen error [Errno -3] Temporary failure in name resolution>",
      ].join("\n"),
    );
    const findings = outputFindings(scan, "error");
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ kind: "network", host: "raw.githubusercontent.com" });
    expect(outputFindings(scanOutput("OSError: [Errno 101] Network is unreachable\n"), "error")).toEqual([
      expect.objectContaining({ kind: "network", message: expect.stringContaining("Network is unreachable") }),
    ]);
    expect(hostsIn("curl: (6) Could not resolve host: models.example.org")).toEqual(["models.example.org"]);
    expect(hostsIn("getaddrinfo ENOTFOUND cdn.example.net")).toEqual(["cdn.example.net"]);
  });

  it("one write finding per path; the paths of failed writes are not candidates for missing-path", () => {
    const scan = scanOutput(
      [
        "PermissionError: [Errno 13] Permission denied: '/cache/sentiment/.lock'",
        "OSError: [Errno 30] Read-only file system: '/cache/sentiment/.lock'",
        "during handling: Read-only file system",
      ].join("\n"),
    );
    const findings = outputFindings(scan, "error");
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ kind: "write", path: "/cache/sentiment/.lock" });
    expect([...pathsOfOtherCauses(scan)]).toEqual(["/cache/sentiment/.lock"]);
  });

  it("collects quoted and bare absolute paths", () => {
    expect(pathsIn("    - '/cache/nltk_data'")).toEqual(["/cache/nltk_data"]);
    expect(pathsIn("FileNotFoundError: [Errno 2] No such file or directory: '/cache/torch/x.pth'")).toEqual([
      "/cache/torch/x.pth",
    ]);
    expect(pathsIn("loading /cache/gensim-data/information.json.")).toEqual([
      "/cache/gensim-data/information.json",
    ]);
    expect(scanOutput("no paths here\n").paths).toEqual([]);
  });
});

describe("checkAgainstLock", () => {
  it("expects a writable asset's variable to point at its view under /tmp", () => {
    const lock = {
      ...nltkGensimTorch,
      assets: nltkGensimTorch.assets.map((a) => (a.id === "nltk" ? { ...a, writable: true } : a)),
    };
    const good = checkAgainstLock(lock, { NLTK_DATA: "/tmp/mlpack-writable/nltk", TORCH_HOME: "/cache/torch", GENSIM_DATA_DIR: "/cache/gensim-data" }, {});
    expect(good.findings).toEqual([]);
    const old = checkAgainstLock(lock, { NLTK_DATA: "/cache/nltk_data", TORCH_HOME: "/cache/torch", GENSIM_DATA_DIR: "/cache/gensim-data" }, {});
    expect(old.findings).toEqual([
      expect.objectContaining({ kind: "wrong-env", variable: "NLTK_DATA", message: expect.stringContaining("needs NLTK_DATA=/tmp/mlpack-writable/nltk") }),
    ]);
  });

  it("reports a missing and a wrong variable, re-based onto the image's asset root label", () => {
    const check = checkAgainstLock(
      nltkGensimTorch,
      { NLTK_DATA: "/elsewhere", TORCH_HOME: "/opt/ml/torch" },
      { "dev.mlpack.asset-root": "/opt/ml" },
    );
    expect(check.assetRoot).toBe("/opt/ml");
    expect(check.assetDirs.map((d) => d.path).sort()).toEqual([
      "/opt/ml/gensim-data",
      "/opt/ml/nltk_data",
      "/opt/ml/torch",
    ]);
    expect(check.findings.map((f) => [f.kind, f.variable, f.severity])).toEqual([
      ["wrong-env", "NLTK_DATA", "error"],
      ["missing-env", "GENSIM_DATA_DIR", "error"],
    ]);
    expect(check.findings[0]!.message).toBe(
      "NLTK_DATA=/elsewhere in the image, but asset nltk needs NLTK_DATA=/opt/ml/nltk_data",
    );
    expect(check.sameLock).toBeNull();
  });

  it("downgrades to warnings when the image was built from another lock", () => {
    const other = checkAgainstLock(
      nltkGensimTorch,
      {},
      { "dev.mlpack.lock-digest": `sha256:${"0".repeat(64)}` },
    );
    expect(other.sameLock).toBe(false);
    expect(other.findings.every((f) => f.severity === "warning")).toBe(true);
    const same = checkAgainstLock(
      nltkGensimTorch,
      {},
      { "dev.mlpack.lock-digest": lockDigest(nltkGensimTorch) },
    );
    expect(same.sameLock).toBe(true);
  });
});

describe("container plumbing", () => {
  it("demultiplexes log frames in order and strips colour codes", () => {
    const frame = (stream: number, text: string) => {
      const body = Buffer.from(text);
      const head = Buffer.alloc(8);
      head[0] = stream;
      head.writeUInt32BE(body.length, 4);
      return Buffer.concat([head, body]);
    };
    const buf = Buffer.concat([frame(1, "out\n"), frame(2, "\x1b[93merr\x1b[0m\n"), frame(1, "more")]);
    expect(demuxLogs(buf)).toBe("out\nerr\nmore");
  });
});
