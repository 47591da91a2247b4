import { writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { home, xdgCache } from "../../src/catalog/define.js";
import { CATALOG } from "../../src/catalog/index.js";
import { catalogWith, toCatalogEntry, userCatalogSchema } from "../../src/catalog/user-entries.js";
import { entryProblems, locationIds } from "../../src/catalog/validate.js";
import { loadConfigFile } from "../../src/config/resolve.js";
import { useTempProject } from "../support/project.js";

const good = { id: "mylib", paths: ["~/.mylib"], env: { MYLIB_HOME: "{dir}" } };

describe("mlpack.json catalog entries", () => {
  it("become catalog entries: {dir} variables move the folder, literal values are static ENV", () => {
    const [entry] = userCatalogSchema.parse([
      { ...good, env: { MYLIB_HOME: "{dir}", MYLIB_ROOT: "{parent}", MYLIB_OFFLINE: "1", MYLIB_DB: "{dir}/db" }, writable: true },
    ]);
    if (!entry) throw new Error("no entry");
    const converted = toCatalogEntry(entry);
    expect(converted).toEqual({
      id: "mylib",
      library: "mylib",
      related: [],
      locations: [
        {
          key: "default",
          candidates: [
            { kind: "env", name: "MYLIB_HOME" },
            { kind: "env", name: "MYLIB_ROOT", path: ".mylib" },
            home(".mylib"),
          ],
          target: "mylib",
          env: { MYLIB_HOME: "{dir}", MYLIB_ROOT: "{parent}", MYLIB_DB: "{dir}/db" },
          writable: true,
        },
      ],
      staticEnv: { MYLIB_OFFLINE: "1" },
      notes: [],
      writable: true,
    });
    expect(entryProblems(converted, locationIds([...CATALOG, converted]))).toEqual([]);
  });

  it("paths may name XDG bases and absolute folders", () => {
    const [entry] = userCatalogSchema.parse([{ id: "x", paths: ["$XDG_CACHE_HOME/x/", "/opt/x", "${HOME}/.x"] }]);
    if (!entry) throw new Error("no entry");
    expect(toCatalogEntry(entry).locations.map((l) => l.candidates.at(-1))).toEqual([
      xdgCache("x"),
      { kind: "abs", path: "/opt/x" },
      home(".x"),
    ]);
  });

  it("built-in entries come first, so they win a folder both claim", () => {
    const all = catalogWith(userCatalogSchema.parse([good]));
    expect(all.slice(0, CATALOG.length)).toEqual(CATALOG);
    expect(all.at(-1)?.id).toBe("mylib");
    expect(catalogWith(undefined)).toBe(CATALOG);
  });

  it.each([
    [{ ...good, id: "My Lib" }, "catalog.0.id", "lower-case slug"],
    [{ ...good, id: "nltk" }, "catalog.0.id", "built-in entry's id"],
    [{ ...good, id: "include" }, "catalog.0.id", "reserved"],
    [{ ...good, paths: [] }, "catalog.0.paths", ""],
    [{ ...good, paths: ["relative/dir"] }, "catalog.0.paths.0", "~/…"],
    [{ ...good, paths: ["~/../etc"] }, "catalog.0.paths.0", '".."'],
    [{ ...good, paths: ["~/"] }, "catalog.0.paths.0", "not the base itself"],
    [{ ...good, paths: ["~/a\nb"] }, "catalog.0.paths.0", "control characters"],
    [{ ...good, env: { "1BAD": "{dir}" } }, "catalog.0.env", "variable names"],
    [{ ...good, env: { OK: "a\nRUN evil" } }, "catalog.0.env.OK", "control characters"],
    [{ ...good, target: "../bin" }, "catalog.0.target", '".."'],
    [{ ...good, target: "/abs" }, "catalog.0.target", "relative folder"],
    [{ ...good, target: "a/./b" }, "catalog.0.target", '"." or ".."'],
    [{ ...good, writable: "yes" }, "catalog.0.writable", "must be boolean"],
    [{ ...good, notes: ["line\nbreak"] }, "catalog.0.notes.0", "control characters"],
    [{ ...good, extra: 1 }, "catalog.0.extra", "unknown key"],
  ])("a bad entry is exit 2 naming the key: %j", async (entry, key, why) => {
    const project = await useTempProject();
    await writeFile(project.path("mlpack.json"), JSON.stringify({ catalog: [entry] }));
    const error = await loadConfigFile(project.path("mlpack.json"), true).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "E_CONFIG", exitCode: 2 });
    expect((error as Error).message).toContain(`"${key}`);
    expect((error as Error).message).toContain(why);
  });

  it("two entries with one id name the second", async () => {
    const project = await useTempProject();
    await writeFile(project.path("mlpack.json"), JSON.stringify({ catalog: [good, { ...good, paths: ["~/.other"] }] }));
    await expect(loadConfigFile(project.path("mlpack.json"), true)).rejects.toThrow(/"catalog\.1\.id" is invalid: "mylib" is used by two entries/);
  });

  it("a valid file loads with defaults applied", async () => {
    const project = await useTempProject();
    await writeFile(project.path("mlpack.json"), JSON.stringify({ catalog: [good], discover: { include: ["~/.x=X"] } }));
    const file = await loadConfigFile(project.path("mlpack.json"), true);
    expect(file.catalog).toEqual([{ ...good, writable: false, notes: [] }]);
    expect(file.discover?.include).toEqual(["~/.x=X"]);
  });
});
