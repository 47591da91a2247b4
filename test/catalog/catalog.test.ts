import { describe, expect, it } from "vitest";
import { CATALOG, getEntry, LAMBDA_RUNTIME_ENV } from "../../src/catalog/index.js";
import { resolveLocation, resolvePlaces } from "../../src/catalog/resolve.js";
import type { CacheLocation } from "../../src/catalog/types.js";
import { entryProblems, locationIds } from "../../src/catalog/validate.js";

const REQUIRED = [
  "huggingface",
  "datasets",
  "torch",
  "nltk",
  "gensim",
  "tfhub",
  "keras",
  "whisper",
  "easyocr",
  "stanza",
  "fastembed",
  "tiktoken",
  "paddleocr",
  "paddlex",
  "insightface",
  "open-clip",
  "sentence-transformers",
  "spacy",
];

describe("catalog data", () => {
  it("has every library DESIGN §5 requires, ids unique", () => {
    const ids = CATALOG.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of REQUIRED) expect(getEntry(id), id).toBeDefined();
  });

  it("names the libraries huggingface_hub covers", () => {
    const related = getEntry("huggingface")?.related.join(" ") ?? "";
    for (const lib of ["transformers", "sentence-transformers", "diffusers", "timm"])
      expect(related).toContain(lib);
  });

  it.each(CATALOG.map((e) => [e.id, e] as const))("%s passes the rules user entries are held to", (_id, entry) => {
    expect(entryProblems(entry, locationIds(CATALOG))).toEqual([]);
  });

  it.each(CATALOG.map((e) => [e.id, e] as const))("%s is well-formed", (_id, entry) => {
    const keys = entry.locations.map((l) => l.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(entry.notes.length + entry.locations.length).toBeGreaterThan(0);
    const ids = new Set(CATALOG.flatMap((e) => e.locations.map((l) => `${e.id}.${l.key}`)));
    for (const loc of entry.locations) {
      if ((loc.role ?? "cache") === "cache") {
        expect(loc.target, `${loc.key} target`).toMatch(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/);
      } else {
        expect(loc.reason, `${loc.key} reason`).toBeTruthy();
      }
      for (const value of Object.values(loc.env ?? {})) expect(value).toMatch(/\{dir\}|\{parent\}/);
      for (const c of loc.candidates)
        if (c.kind === "ref") expect(ids.has(c.location), c.location).toBe(true);
      if (loc.packageWith) expect(ids.has(loc.packageWith), loc.packageWith).toBe(true);
    }
    for (const value of Object.values(entry.staticEnv ?? {})) expect(value).not.toMatch(/\{/);
  });

  it("exports the always-on Lambda ENV", () => {
    expect(LAMBDA_RUNTIME_ENV).toEqual({
      HOME: "/tmp",
      MPLCONFIGDIR: "/tmp/matplotlib",
      NUMBA_CACHE_DIR: "/tmp/numba_cache",
    });
  });
});

describe("resolve: precedence is first-set-wins over the candidate list", () => {
  const hub = () => getEntry("huggingface")?.locations.find((l) => l.key === "hub") as CacheLocation;
  const dirOf = (id: string, env: Record<string, string>, home = "/root") =>
    resolvePlaces(CATALOG, { env, home }).find((p) => p.locationId === id)?.dir;

  it.each([
    [{}, "/root/.cache/huggingface/hub"],
    [{ XDG_CACHE_HOME: "/x" }, "/x/huggingface/hub"],
    [{ XDG_CACHE_HOME: "/x", HF_HOME: "/h" }, "/h/hub"],
    [{ HF_HOME: "/h", HUGGINGFACE_HUB_CACHE: "/legacy" }, "/legacy"],
    [{ HF_HOME: "/h", HUGGINGFACE_HUB_CACHE: "/legacy", HF_HUB_CACHE: "/new/" }, "/new"],
    [{ HF_HOME: "" }, "/root/.cache/huggingface/hub"],
    [{ HF_HOME: "~/hf" }, "/root/hf/hub"],
  ])("huggingface.hub with %j → %s", (env, expected) => {
    expect(dirOf("huggingface.hub", env)).toBe(expected);
  });

  it.each([
    ["torch.home", {}, "/root/.cache/torch"],
    ["torch.home", { XDG_CACHE_HOME: "/x" }, "/x/torch"],
    ["torch.home", { TORCH_HOME: "/t", XDG_CACHE_HOME: "/x" }, "/t"],
    ["tfhub.modules", { TEMP: "/te", TMP: "/tm" }, "/te/tfhub_modules"],
    ["tfhub.modules", { TMP: "/tm" }, "/tm/tfhub_modules"],
    ["gensim.data", {}, "/root/gensim-data"],
    ["huggingface.stored-tokens", { HF_TOKEN_PATH: "/s/tok" }, "/s/stored_tokens"],
    ["datasets.cache", { HF_HOME: "/h" }, "/h/datasets"],
    ["sentence-transformers.home", { TORCH_HOME: "/t" }, "/t/sentence_transformers"],
    ["stanza.resources", {}, "/root/.cache/stanza/*/resources"],
  ])("%s with %j → %s", (id, env, expected) => {
    expect(dirOf(id, env)).toBe(expected);
  });

  it("xet keeps ~ literally (no expansion), HF_HOME expands $VARS", () => {
    expect(dirOf("huggingface.xet", { HF_XET_CACHE: "~/xet" })).toBeUndefined();
    expect(dirOf("huggingface.home", { ROOT: "/srv", HF_HOME: "${ROOT}/hf" })).toBe("/srv/hf");
  });

  it("a search list yields every directory", () => {
    const nltk = getEntry("nltk")?.locations[0] as CacheLocation;
    const dirs = resolveLocation(nltk, {
      env: { NLTK_DATA: "/a::/b", VIRTUAL_ENV: "/venv" },
      home: "/home/u",
    });
    expect(dirs.slice(0, 4)).toEqual(["/a", "/b", "/home/u/nltk_data", "/venv/nltk_data"]);
    expect(dirs).toContain("/usr/share/nltk_data");
    expect(dirs).toContain("/usr/local/lib/nltk_data");
  });

  it("an unresolvable first candidate still wins (relative value, no cwd)", () => {
    expect(resolveLocation(hub(), { env: { HF_HUB_CACHE: "rel/hub" }, home: "/root" })).toEqual([]);
    expect(resolveLocation(hub(), { env: { HF_HUB_CACHE: "rel/hub" }, home: "/root", cwd: "/w" })).toEqual([
      "/w/rel/hub",
    ]);
  });
});
