import { execFileSync } from "node:child_process";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { expect, it } from "vitest";
import { digestTree } from "../../src/lock/tree-digest.js";
import { runCli } from "../support/cli.js";
import { dockerClient, managedContainers } from "../support/docker.js";
import { testEnv } from "../support/env.js";
import { useTempProject } from "../support/project.js";
import { describeReal } from "../support/real.js";

/** Containers created by one test run: each passes a unique marker with --env and looks only for it. */
const newMarker = () => `runners-${Date.now()}${Math.random().toString(16).slice(2)}`;

/** discover with the busybox image, no network, a marker; `args` go before `--`. */
function dockerArgs(marker: string, ...args: string[]): string[] {
  return [
    "discover",
    "--image",
    testEnv().busyboxImage,
    "--network",
    "none",
    "--env",
    `MLPACK_TEST_MARKER=${marker}`,
    ...args,
  ];
}

const NLTK = "corpora/n";
/** Names that must survive byte for byte: control characters, a backslash, NFC and NFD spellings of "café". */
const NAMES = ["nl\nname", "tab\tname", "back\\slash", "caf\u00e9", "cafe\u0301"];
const NAMES_SCRIPT = [
  'd="$HOME/nltk_data/corpora/n"; mkdir -p "$d"',
  `printf 1 > "$d/$(printf 'nl\\nname')"`,
  `printf 2 > "$d/$(printf 'tab\\tname')"`,
  `printf 3 > "$d/back\\\\slash"`,
  `printf 4 > "$d/$(printf 'caf\\303\\251')"`,
  `printf 5 > "$d/$(printf 'cafe\\314\\201')"`,
  "",
].join("\n");
const BAD_SCRIPT = 'd="$HOME/nltk_data/corpora/n"; mkdir -p "$d"; printf x > "$d/$(printf \'bad\\377name\')"\n';

await describeReal(["docker"], "discover runners: names, sparse files, empty projects, errors", () => {
  it("names with newline, TAB, backslash and NFC/NFD twins round-trip byte-exact through both runners", async () => {
    const digests: string[] = [];
    for (const runner of ["docker", "local"]) {
      const project = await useTempProject({ "names.sh": NAMES_SCRIPT });
      const marker = newMarker();
      const args = runner === "docker" ? dockerArgs(marker, "--json") : ["discover", "--runner", "local", "--json"];
      const r = await runCli([...args, "--", "sh", "names.sh"], { cwd: project.dir });
      expect(r.code, r.stderr).toBe(0);
      const staged = project.path(".mlpack", "assets", "nltk", NLTK);
      const names = (await readdir(staged, { encoding: "buffer" })).map((n) => n.toString("hex")).sort();
      expect(names).toEqual(NAMES.map((n) => Buffer.from(n).toString("hex")).sort());
      const lock = JSON.parse(await readFile(project.path("mlpack.lock.json"), "utf8"));
      const nltk = lock.assets.find((a: { id: string }) => a.id === "nltk");
      expect(nltk.files).toBe(NAMES.length);
      expect((await digestTree(project.path(".mlpack", "assets", "nltk"))).digest).toBe(nltk.digest);
      digests.push(nltk.digest);
      if (runner === "docker") expect(await managedContainers(marker)).toEqual([]);
    }
    expect(digests[0]).toBe(digests[1]);
  });

  it("a cache file whose name is not UTF-8 is refused by both runners with the escaped path (exit 2, no crash)", async () => {
    for (const runner of ["docker", "local"]) {
      const project = await useTempProject({ "bad.sh": BAD_SCRIPT });
      const marker = newMarker();
      const args = runner === "docker" ? dockerArgs(marker, "--json") : ["discover", "--runner", "local", "--json"];
      const r = await runCli([...args, "--", "sh", "bad.sh"], { cwd: project.dir });
      expect(r.code, `${runner}: ${r.stderr}`).toBe(2);
      const error = JSON.parse(r.stdout).error;
      expect(error.code).toBe("E_UNSUPPORTED_NAME");
      expect(error.message).toContain("corpora/n/bad\\xffname");
      expect(error.message).not.toContain("bug in mlpack");
      await expect(stat(project.path("mlpack.lock.json"))).rejects.toThrow();
      expect((await readdir(project.path(".mlpack", "assets")).catch(() => [])).length).toBe(0);
      if (runner === "docker") expect(await managedContainers(marker)).toEqual([]);
    }
  });

  it("sparse files stay sparse through both runners (docker: zero runs written as holes; local: copied sparse)", async () => {
    const size = 256 * 1024 * 1024;
    const script = 'd="$HOME/nltk_data/corpora/s"; mkdir -p "$d"; truncate -s 256M "$d/big"; printf data > "$d/small"\n';
    const project = await useTempProject({ "sparse.sh": script });
    const r = await runCli([...dockerArgs(newMarker()), "--", "sh", "sparse.sh"], { cwd: project.dir });
    expect(r.code, r.stderr).toBe(0);
    const big = await stat(project.path(".mlpack", "assets", "nltk", "corpora", "s", "big"));
    expect(big.size).toBe(size);
    expect(big.blocks).toBe(0);
    const dockerLock = JSON.parse(await readFile(project.path("mlpack.lock.json"), "utf8"));

    // Local: an --include of the user's folder is copied (never moved); its sparse file stays sparse.
    const local = await useTempProject({ "sparse.sh": script });
    const models = local.path("models");
    execFileSync("sh", ["-c", `mkdir -p "${models}" && truncate -s 256M "${models}/big"`]);
    const l = await runCli(["discover", "--runner", "local", "--include", models, "--", "sh", "sparse.sh"], {
      cwd: local.dir,
    });
    expect(l.code, l.stderr).toBe(0);
    const lock = JSON.parse(await readFile(local.path("mlpack.lock.json"), "utf8"));
    const include = lock.assets.find((a: { library: string }) => a.library === "include");
    const copied = await stat(local.path(".mlpack", "assets", include.id, "big"));
    expect(copied.size).toBe(size);
    expect(copied.blocks).toBe(0);
    expect((await stat(join(models, "big"))).size).toBe(size);
    // The same cache gives the same digest on both runners.
    const nltk = (l: { assets: { id: string; digest: string }[] }) => l.assets.find((a) => a.id === "nltk")?.digest;
    expect(nltk(lock)).toBe(nltk(dockerLock));
  });

  it("an empty project folder with the command in the image finds the caches; --keep reports the container; a long --timeout waits", async () => {
    const project = await useTempProject();
    const marker = newMarker();
    const r = await runCli(
      [
        ...dockerArgs(marker, "--json", "--keep", "--timeout", "86400"),
        "--",
        "sh",
        "-c",
        'sleep 3; mkdir -p /root/nltk_data/corpora/w && echo words > /root/nltk_data/corpora/w/list',
      ],
      { cwd: project.dir },
    );
    try {
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout);
      expect(doc.lock.assets.map((a: { id: string }) => a.id)).toEqual(["nltk"]);
      expect(doc.keptContainer).toMatch(/^[0-9a-f]{64}$/);
      expect(await managedContainers(marker)).toEqual([doc.keptContainer]);
      const quiet = await runCli([...dockerArgs(newMarker(), "-q", "--keep"), "--", "sh", "-c", "true"], {
        cwd: project.dir,
      });
      const kept = quiet.stdout.match(/Kept container ([0-9a-f]{64})/)?.[1];
      expect(kept, quiet.stdout).toBeDefined();
      await dockerClient().getContainer(kept as string).remove({ force: true });
      // A failed run with --keep: the container to inspect is named in the --json error.
      const failed = await runCli([...dockerArgs(marker, "--json", "--keep"), "--", "sh", "-c", "exit 3"], {
        cwd: project.dir,
      });
      expect(failed.code).toBe(4);
      const keptFailed = JSON.parse(failed.stdout).error.details.keptContainer;
      expect(keptFailed).toMatch(/^[0-9a-f]{64}$/);
      expect(await managedContainers(marker)).toContain(keptFailed);
    } finally {
      for (const id of await managedContainers(marker)) await dockerClient().getContainer(id).remove({ force: true });
    }
  });

  it("a command missing from the image is exit 4 naming it; a workdir inside a cache is refused (exit 2)", async () => {
    const project = await useTempProject({ "app.sh": "true\n", ".env": "SECRET=1\n" });
    const marker = newMarker();
    const r = await runCli([...dockerArgs(marker, "--json"), "--", "no-such-model-cmd", "--flag"], { cwd: project.dir });
    expect(r.code, r.stderr).toBe(4);
    const error = JSON.parse(r.stdout).error;
    expect(error).toMatchObject({ code: "E_MODEL_COMMAND", details: { commandExitCode: null } });
    expect(error.message).toContain("no-such-model-cmd was not found");
    expect(error.hint).toContain("Check the command name (no-such-model-cmd)");
    expect(await managedContainers(marker)).toEqual([]);

    const hf = "/root/.cache/huggingface";
    const w = await runCli(
      [
        ...dockerArgs(marker, "--workdir", hf),
        "--",
        "sh",
        "-c",
        `mkdir -p ${hf}/hub/models--a--b/blobs && echo x > ${hf}/hub/models--a--b/blobs/1`,
      ],
      { cwd: project.dir },
    );
    expect(w.code, w.stderr).toBe(2);
    expect(w.stderr).toContain(`the project is copied into ${hf}`);
    expect(w.stderr).toMatch(/--workdir/);
    await expect(stat(project.path("mlpack.lock.json"))).rejects.toThrow();
    expect(await managedContainers(marker)).toEqual([]);
  });
});
