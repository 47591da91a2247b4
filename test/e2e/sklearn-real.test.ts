import { createHash, randomBytes } from "node:crypto";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { execa } from "execa";
import { afterAll, beforeAll, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { dockerClient, removeByLabel, TEST_LABEL_KEY } from "../support/docker.js";
import { testEnv } from "../support/env.js";
import { type TempProject, tempProject } from "../support/project.js";
import { describeReal } from "../support/real.js";

/**
 * The real scikit-learn (Debian's python3-sklearn in the python test image), not a fixture:
 * `fetch_california_housing` downloads its archive from a server this test runs on 127.0.0.1 (the model
 * script points the dataset's remote URL there; discover shares the host network), caches the parsed
 * dataset in ~/scikit_learn_data and deletes the archive. discover must find that cache through the
 * catalog with SCIKIT_LEARN_DATA, and the final image must load it offline, read-only, as uid 993.
 */
const LABEL = `${TEST_LABEL_KEY}=e2e-catalog-sklearn`;
const RUN = randomBytes(4).toString("hex");
const { pythonImage } = testEnv();
const ASSETS_TAG = `mlpack-test/catalog-sklearn-assets:${RUN}`;
const FINAL_TAG = `mlpack-test/catalog-sklearn-final:${RUN}`;

/** Five rows in the archive's column order (longitude … households, median income, median house value). */
const ROWS = [
  [-122.23, 37.88, 41, 880, 129, 322, 126, 8.3252, 452600],
  [-122.22, 37.86, 21, 7099, 1106, 2401, 1138, 8.3014, 358500],
  [-122.24, 37.85, 52, 1467, 190, 496, 177, 7.2574, 352100],
  [-122.25, 37.85, 52, 1274, 235, 558, 219, 5.6431, 341300],
  [-122.25, 37.85, 52, 1627, 280, 565, 259, 3.8462, 342200],
];

const TGZ_SCRIPT = `
import io, sys, tarfile
data = sys.stdin.buffer.read()
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w:gz") as t:
    info = tarfile.TarInfo("CaliforniaHousing/cal_housing.data")
    info.size = len(data)
    t.addfile(info, io.BytesIO(data))
sys.stdout.buffer.write(buf.getvalue())
`;

/** The model script: the library's own fetcher, with only the remote URL (and its checksum) moved. */
const APP = `
import sys
from sklearn.datasets import _california_housing as ch
from sklearn.datasets._base import RemoteFileMetadata
from sklearn.datasets import fetch_california_housing, get_data_home
ch.ARCHIVE = RemoteFileMetadata(filename="cal_housing.tgz", url=sys.argv[1], checksum=sys.argv[2])
X, y = fetch_california_housing(return_X_y=True)
print("fetched", X.shape, "into", get_data_home())
`;

/** Runs in the final image: must find the cache offline, without downloading, through SCIKIT_LEARN_DATA. */
const CHECK = `
import os
from sklearn.datasets import fetch_california_housing
X, y = fetch_california_housing(download_if_missing=False, return_X_y=True)
assert X.shape == (5, 8), X.shape
assert abs(y[0] - 4.526) < 1e-9 and abs(X[0][0] - 8.3252) < 1e-9, (y[0], X[0])
data = os.environ["SCIKIT_LEARN_DATA"]
print("SKLEARN OK rows=%d data=%s data-writable=%s uid=%d" % (X.shape[0], data, os.access(data, os.W_OK), os.getuid()))
`;

async function dockerBuild(dir: string, file: string, tag: string): Promise<void> {
  const r = await execa(
    "docker",
    ["build", "--network", "none", "--label", LABEL, "-f", file, "-t", tag, "."],
    { cwd: dir, env: { DOCKER_BUILDKIT: "0" }, reject: false },
  );
  if (r.exitCode !== 0) throw new Error(`docker build -f ${file} failed:\n${r.stdout}\n${r.stderr}`);
}

let server: Server;
let archiveUrl = "";
let archiveSha = "";
let requests = 0;

beforeAll(async () => {
  const csv = `${ROWS.map((r) => r.join(",")).join("\n")}\n`;
  const tgz = (await execa("python3", ["-c", TGZ_SCRIPT], { input: csv, encoding: "buffer" }))
    .stdout as Uint8Array;
  archiveSha = createHash("sha256").update(tgz).digest("hex");
  server = createServer((req, res) => {
    requests += 1;
    if (req.url === "/files/cal_housing.tgz") {
      res.setHeader("content-length", String(tgz.length));
      res.end(Buffer.from(tgz));
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  archiveUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/files/cal_housing.tgz`;
});

afterAll(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

await describeReal(["docker", "pythonImage"], "scikit-learn's real dataset cache, discover to verify", () => {
  let project: TempProject;
  const mlpack = (args: string[]) => runCli(args, { cwd: project.dir, timeoutMs: 300_000 });

  beforeAll(async () => {
    project = await tempProject({ "app.py": APP, "check_sklearn.py": CHECK });
  });

  afterAll(async () => {
    await removeByLabel(LABEL);
    for (const tag of [FINAL_TAG, ASSETS_TAG]) {
      await dockerClient()
        .getImage(tag)
        .remove()
        .catch(() => undefined);
    }
    await project?.cleanup();
  });

  it("discover finds ~/scikit_learn_data through the catalog, with SCIKIT_LEARN_DATA", async () => {
    const r = await mlpack([
      "discover",
      "--json",
      "--image",
      pythonImage,
      "--network",
      "host",
      "--",
      "python3",
      "app.py",
      archiveUrl,
      archiveSha,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("fetched (5, 8) into /root/scikit_learn_data");
    expect(requests).toBe(1);
    const doc = JSON.parse(r.stdout) as {
      lock: { assets: { id: string; library: string; source: string; target: string; env: object }[] };
      unknown?: unknown[];
    };
    const assets = doc.lock.assets;
    expect(assets.map((a) => a.library)).toEqual(["scikit-learn"]);
    expect(assets[0]).toMatchObject({
      id: "scikit-learn",
      source: "/root/scikit_learn_data",
      target: "scikit_learn_data",
      env: { SCIKIT_LEARN_DATA: "/cache/scikit_learn_data" },
    });
    // The fetcher removed its archive and kept the parsed dataset; that file is what was staged.
    const staged = await readdir(project.path(".mlpack", "assets", "scikit-learn"));
    expect(staged.filter((f) => f.endsWith(".pkz"))).toHaveLength(1);
    expect(staged).not.toContain("cal_housing.tgz");
  });

  it("bundle --load, a generic Dockerfile on the python image, legacy build, verify: loads offline as uid 993", async () => {
    const bundle = await mlpack(["bundle", "--load", "--tag", ASSETS_TAG]);
    expect(bundle.code, bundle.stderr).toBe(0);
    const df = await mlpack([
      "--json",
      "dockerfile",
      "--target",
      "generic",
      "--base",
      pythonImage,
      "--copy",
      "check_sklearn.py",
      "--cmd",
      "python3 check_sklearn.py",
      "-o",
      "Dockerfile.sklearn",
    ]);
    expect(df.code, df.stderr).toBe(0);
    expect((JSON.parse(df.stdout) as { env: Record<string, string> }).env).toEqual({
      SCIKIT_LEARN_DATA: "/cache/scikit_learn_data",
    });
    const text = await readFile(project.path("Dockerfile.sklearn"), "utf8");
    expect(text).toContain("COPY --from=mlpack-assets /cache/scikit_learn_data /cache/scikit_learn_data\n");
    expect(text).toContain("ENV SCIKIT_LEARN_DATA=/cache/scikit_learn_data\n");
    expect(text).toContain("download_if_missing=False");
    await dockerBuild(project.dir, "Dockerfile.sklearn", FINAL_TAG);

    const before = requests;
    const v = await mlpack(["--json", "verify", FINAL_TAG]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    const result = JSON.parse(v.stdout) as { ok: boolean; commandSource: string; outputTail: string };
    expect(result).toMatchObject({ ok: true, commandSource: "image" });
    expect(result.outputTail).toMatch(
      /SKLEARN OK rows=5 data=\/cache\/scikit_learn_data data-writable=False uid=993/,
    );
    expect(requests).toBe(before);
  });

  it("without the ENV the same image fails: the cache is only found through SCIKIT_LEARN_DATA", async () => {
    const text = await readFile(project.path("Dockerfile.sklearn"), "utf8");
    const broken = text.replace("ENV SCIKIT_LEARN_DATA=/cache/scikit_learn_data\n", "");
    expect(broken).not.toBe(text);
    await writeFile(project.path("Dockerfile.no-env"), broken);
    const tag = `mlpack-test/catalog-sklearn-no-env:${RUN}`;
    await dockerBuild(project.dir, "Dockerfile.no-env", tag);
    try {
      const v = await mlpack(["verify", tag]);
      expect(v.code).toBe(1);
      // sklearn falls back to ~/scikit_learn_data (HOME=/ here) and fails; verify names the variable.
      expect(v.stderr).toContain(
        "[missing-env] SCIKIT_LEARN_DATA is not set in the image; asset scikit-learn needs SCIKIT_LEARN_DATA=/cache/scikit_learn_data",
      );
      expect(v.stderr).toContain("Read-only file system: '/scikit_learn_data'");
    } finally {
      await dockerClient()
        .getImage(tag)
        .remove()
        .catch(() => undefined);
    }
  });
});
