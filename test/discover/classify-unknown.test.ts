import { describe, expect, it } from "vitest";
import { catalogWith, userCatalogSchema } from "../../src/catalog/user-entries.js";
import { classify, stagingFilter } from "../../src/discover/classify.js";
import type { CodeHit } from "../../src/discover/relocate.js";
import { relocate } from "../../src/discover/relocate.js";
import { diff, input } from "../catalog/support.js";

const hit = (over: Partial<CodeHit> = {}): CodeHit => ({
  name: ".mylib",
  variable: "MYLIB_HOME",
  file: "mylib/config.py",
  line: 12,
  tier: 1,
  relation: "dir",
  text: 'HOME = os.environ.get("MYLIB_HOME", "~/.mylib")',
  ...over,
});

const base = { places: { home: "/root", projectRoot: "/var/task" }, env: {}, assetRoot: "/cache", hits: [], taken: new Set<string>() };

describe("relocate: where an unknown cache goes and what moves it", () => {
  it("=VAR points the variable at the folder itself", () => {
    const r = relocate({ ...base, root: "/root/.mylib", variable: "MYLIB_HOME" });
    expect(r).toMatchObject({ target: "include/mylib", env: { MYLIB_HOME: "/cache/include/mylib" }, relocation: { via: "flag" } });
    expect(r.home).toBeUndefined();
  });

  it("~/.cache/<name> moves with XDG_CACHE_HOME at the asset root (whisper's convention), with a note on other XDG users", () => {
    const r = relocate({ ...base, root: "/root/.cache/mylib" });
    expect(r).toMatchObject({ target: "mylib", env: { XDG_CACHE_HOME: "/cache" }, relocation: { via: "xdg", variable: "XDG_CACHE_HOME" } });
    expect(r.notes.join(" ")).toMatch(/every XDG-following library's cache to \/cache, read-only/);
  });

  it("the XDG base follows the run's XDG_CACHE_HOME, and ~/.local/share uses XDG_DATA_HOME", () => {
    const moved = relocate({ ...base, env: { XDG_CACHE_HOME: "/xdg" }, root: "/xdg/lib/models" });
    expect(moved).toMatchObject({ target: "lib/models", env: { XDG_CACHE_HOME: "/cache" } });
    const data = relocate({ ...base, root: "/root/.local/share/mylib" });
    expect(data).toMatchObject({ target: "xdg-data/mylib", env: { XDG_DATA_HOME: "/cache/xdg-data" } });
  });

  it("an XDG target another asset already uses moves the whole base to a folder of its own", () => {
    const r = relocate({ ...base, root: "/root/.cache/torch", taken: new Set(["torch"]) });
    expect(r).toMatchObject({ target: "include/cache/torch", env: { XDG_CACHE_HOME: "/cache/include/cache" } });
  });

  it("a variable read next to the folder's name wins over XDG and HOME placement", () => {
    const inXdg = relocate({ ...base, root: "/root/.cache/mylib", hits: [hit({ name: "mylib", variable: "MYLIB_CACHE" })] });
    expect(inXdg).toMatchObject({ target: "include/cache-mylib", env: { MYLIB_CACHE: "/cache/include/cache-mylib" } });
    expect(inXdg.relocation).toMatchObject({ via: "code", variable: "MYLIB_CACHE", evidence: { file: "mylib/config.py" } });
    expect(inXdg.notes).toEqual(["MYLIB_CACHE=/cache/include/cache-mylib points the library at ~/.cache/mylib, kept in /cache/include/cache-mylib."]);
  });

  it("a `parent` lookup (join(getenv('ROOT', '~'), '.mylib')) points the variable at the folder's parent", () => {
    const r = relocate({ ...base, root: "/root/.mylib/models", hits: [hit({ variable: "MYLIB_ROOT", relation: "parent" })] });
    expect(r).toMatchObject({ target: "include/home/.mylib/models", env: { MYLIB_ROOT: "/cache/include/home" } });
  });

  it("an included subfolder keeps its place below the folder the variable names", () => {
    const r = relocate({ ...base, root: "/root/.mylib/models", hits: [hit()] });
    expect(r).toMatchObject({ target: "include/mylib/models", env: { MYLIB_HOME: "/cache/include/mylib" } });
  });

  it("tier 1 before tier 2, dir before parent; base variables (HOME, XDG_*) are never proposed", () => {
    const hits = [
      hit({ variable: "HOME" }),
      hit({ variable: "MYLIB_DIR", tier: 2 }),
      hit({ variable: "MYLIB_ROOT", relation: "parent" }),
      hit({ variable: "MYLIB_HOME" }),
    ];
    expect(relocate({ ...base, root: "/root/.mylib", hits }).relocation.variable).toBe("MYLIB_HOME");
    const weak = relocate({ ...base, root: "/root/.mylib", hits: [hit({ variable: "XDG_CACHE_HOME" }), hit({ variable: "MYLIB_DIR", tier: 2 })] });
    expect(weak.relocation).toMatchObject({ via: "code", variable: "MYLIB_DIR" });
  });

  it("with nothing that moves it, a folder under HOME is placed at the same path under HOME; elsewhere a note says where", () => {
    const home = relocate({ ...base, root: "/root/.mylib" });
    expect(home).toEqual({
      target: "include/mylib",
      env: {},
      home: ".mylib",
      notes: [expect.stringContaining("links it to ~/.mylib (HOME=/tmp on Lambda) at start")],
      relocation: { via: "home" },
    });
    const abs = relocate({ ...base, root: "/opt/ml/models" });
    expect(abs).toMatchObject({ target: "include/opt-ml-models", env: {}, relocation: { via: "none" } });
    expect(abs.home).toBeUndefined();
  });
});

describe("classify: unknown folders, includes and writable assets", () => {
  const files = ["/root/.tiny-cache/a.json", "/root/.cache/noxvar/m.bin", "/root/.mylib/w.bin", "/opt/data/x"];

  it("reports every unknown root with the --include value to paste and asks the scanner about their names", () => {
    const r = classify(input(files));
    expect(r.unknownRoots).toEqual(["/opt", "/root/.cache/noxvar", "/root/.mylib", "/root/.tiny-cache"]);
    expect(r.unknown).toEqual([
      { path: "/opt", include: "/opt", relocation: { via: "none" } },
      { path: "/root/.cache/noxvar", include: "~/.cache/noxvar", relocation: { via: "xdg", variable: "XDG_CACHE_HOME" } },
      { path: "/root/.mylib", include: "~/.mylib", relocation: { via: "home" } },
      { path: "/root/.tiny-cache", include: "~/.tiny-cache", relocation: { via: "home" } },
    ]);
    expect(r.scanRequests).toEqual([
      { name: ".mylib", match: "segment" },
      { name: ".tiny-cache", match: "segment" },
      { name: "/opt", match: "substring" },
      { name: "noxvar", match: "segment" },
    ]);
  });

  it("a folder holding a secret or noise by name is still reported whole (the secret is skipped when included)", () => {
    const r = classify(input(["/root/.mixed/data.bin", "/root/.mixed/.netrc", "/root/.mixed/__pycache__/x.pyc"]));
    expect(r.unknownRoots).toEqual(["/root/.mixed"]);
    expect(r.secrets).toEqual(["/root/.mixed/.netrc"]);
    // A cache location's own skip (HF's token) still keeps its parents from being one unknown folder.
    const hf = classify(input(["/root/.cache/huggingface/token", "/root/.cache/other/x"]));
    expect(hf.unknownRoots).toEqual(["/root/.cache/other"]);
  });

  it("a scan hit makes the suggestion carry =VAR, so the pasted argument no longer depends on the scan", () => {
    const r = classify(input(files, { codeHits: [hit()] }));
    expect(r.unknown.find((u) => u.path === "/root/.mylib")).toMatchObject({
      include: "~/.mylib=MYLIB_HOME",
      relocation: { via: "code", variable: "MYLIB_HOME" },
    });
    const pasted = classify(input(files, { include: [{ path: "/root/.mylib", variable: "MYLIB_HOME" }] }));
    expect(pasted.assets).toEqual([
      expect.objectContaining({ id: "include-mylib", env: { MYLIB_HOME: "/cache/include/mylib" }, relocation: { via: "flag", variable: "MYLIB_HOME" } }),
    ]);
    expect(pasted.scanRequests.map((s) => s.name)).not.toContain(".mylib");
  });

  it("the same include gives the same id, target and env on the docker and the local runner", () => {
    const localHome = "/tmp/p/.mlpack/tmp/home-x";
    const local = classify({
      ...input([], { home: localHome, projectRoot: "/tmp/p" }),
      changes: diff([`${localHome}/.mylib/w.bin`], ["/", "/tmp", "/tmp/p", "/tmp/p/.mlpack", "/tmp/p/.mlpack/tmp", localHome]),
      include: [{ path: `${localHome}/.mylib` }],
    });
    const docker = classify(input(["/root/.mylib/w.bin"], { include: [{ path: "/root/.mylib" }] }));
    const strip = (a: (typeof local.assets)[number]) => ({ id: a.id, target: a.target, env: a.env, home: a.home, notes: a.notes });
    expect(local.assets.map(strip)).toEqual(docker.assets.map(strip));
    expect(docker.assets[0]).toMatchObject({ id: "include-mylib", target: "include/mylib", home: ".mylib" });
  });

  it("two folders with one slug get distinct targets, and a variable follows its own folder", () => {
    const r = classify(
      input(["/root/.mylib/a", "/root/mylib/b"], {
        include: [
          { path: "/root/.mylib", variable: "A_HOME" },
          { path: "/root/mylib", variable: "B_HOME" },
        ],
      }),
    );
    expect(r.assets.map((a) => [a.id, a.target, a.env])).toEqual([
      ["include-mylib", "include/mylib", { A_HOME: "/cache/include/mylib" }],
      ["include-mylib-2", "include/mylib-2", { B_HOME: "/cache/include/mylib-2" }],
    ]);
  });

  it("--writable marks the asset; an id that is no asset is reported", () => {
    const r = classify(input(["/root/nltk_data/corpora/x"], { writable: ["nltk", "nope"] }));
    expect(r.assets).toEqual([expect.objectContaining({ id: "nltk", writable: true })]);
    expect(r.unmatchedWritable).toEqual(["nope"]);
  });

  it("a built-in library no variable moves (insightface) is placed under HOME too", () => {
    const r = classify(input(["/root/.insightface/models/buffalo_l/det.onnx"]));
    expect(r.assets).toEqual([expect.objectContaining({ id: "insightface", env: {}, home: ".insightface" })]);
    const nltk = classify(input(["/root/nltk_data/corpora/x"]));
    expect(nltk.assets[0]?.home).toBeUndefined();
  });

  it("secret files below an included folder are skipped by the staging filter, by name and above the source", () => {
    const r = classify(input(["/root/.mylib/w.bin", "/root/.mylib/.netrc", "/root/.mylib/keys/.ssh/id_rsa"], { include: [{ path: "/root/.mylib" }] }));
    expect(r.secrets).toEqual(["/root/.mylib/.netrc", "/root/.mylib/keys/.ssh"]);
    const [asset] = r.assets;
    if (!asset) throw new Error("no asset");
    expect(stagingFilter(asset, ".netrc")).toBe("secret: netrc credentials");
    expect(stagingFilter(asset, "keys/.ssh/id_rsa")).toBe("secret: SSH keys");
    expect(stagingFilter(asset, "w.bin")).toBeUndefined();
    // Even an asset whose source is itself a secret folder never stages its files.
    const inside = { ...asset, source: "/root/.aws" };
    expect(stagingFilter(inside, "credentials")).toBe("secret: AWS credentials");
  });
});

describe("classify with mlpack.json catalog entries", () => {
  const user = userCatalogSchema.parse([
    { id: "mylib", paths: ["~/.mylib"], env: { MYLIB_HOME: "{dir}", MYLIB_OFFLINE: "1" }, notes: ["Call mylib.load(offline=True)."] },
    { id: "plain", library: "Plain Lib", paths: ["~/.plain", "/opt/plain"], writable: true },
    { id: "xdgish", paths: ["$XDG_CACHE_HOME/xdgish"], env: { XDG_CACHE_HOME: "{parent}" }, target: "team/xdgish" },
  ]);
  const catalog = catalogWith(user);

  it("a user entry claims its folder: id, target, ENV from {dir}, static ENV, notes", () => {
    const r = classify(input(["/root/.mylib/w.bin"], { catalog }));
    expect(r.unknownRoots).toEqual([]);
    expect(r.assets).toEqual([
      expect.objectContaining({
        id: "mylib",
        library: "mylib",
        source: "/root/.mylib",
        target: "mylib",
        env: { MYLIB_HOME: "/cache/mylib", MYLIB_OFFLINE: "1" },
        notes: ["Call mylib.load(offline=True)."],
        writable: false,
      }),
    ]);
    expect(classify(input(["/root/.mylib/w.bin"])).unknownRoots).toEqual(["/root/.mylib"]);
  });

  it("its variables move the folder during discover, as built-in ones do", () => {
    const r = classify(input(["/models/m/w.bin"], { catalog, env: { MYLIB_HOME: "/models/m" } }));
    expect(r.assets).toEqual([expect.objectContaining({ id: "mylib", source: "/models/m" })]);
  });

  it("writable and no-variable entries reach the asset (writable, home); any of several paths is claimed", () => {
    const r = classify(input(["/root/.plain/a", "/opt/plain/b"], { catalog }));
    expect(r.assets.map((a) => [a.id, a.source, a.target, a.writable, a.home])).toEqual([
      ["plain", "/opt/plain", "plain", true, undefined],
      ["plain-2", "/root/.plain", "plain-2", true, ".plain"],
    ]);
  });

  it("{parent} variables and $XDG_CACHE_HOME paths", () => {
    const r = classify(input(["/root/.cache/xdgish/a"], { catalog }));
    expect(r.assets).toEqual([expect.objectContaining({ id: "xdgish", target: "team/xdgish", env: { XDG_CACHE_HOME: "/cache/team" } })]);
  });
});
