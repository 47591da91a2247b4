import { writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { CATALOG } from "../../src/catalog/index.js";
import { catalogResult } from "../../src/cli/results/catalog.js";
import { errorDocument } from "../../src/cli/results/common.js";
import { runCli } from "../support/cli.js";
import { useTempProject } from "../support/project.js";

const USER = [
  {
    id: "sentiment-app",
    library: "Sentiment App",
    paths: ["~/.sentiment-app"],
    env: { SENTIMENT_HOME: "{dir}", SENTIMENT_OFFLINE: "1" },
    writable: true,
    notes: ["Load with sentiment.load(offline=True)."],
  },
];

describe("mlpack catalog", () => {
  it("--json lists every built-in entry, then mlpack.json's, in a document its schema accepts", async () => {
    const project = await useTempProject({ "mlpack.json": JSON.stringify({ catalog: USER }) });
    const r = await runCli(["catalog", "--json"], { cwd: project.dir });
    expect(r.code, r.stderr).toBe(0);
    const doc = catalogResult.parse(JSON.parse(r.stdout));
    expect(doc.entries.map((e) => e.id)).toEqual([...CATALOG.map((e) => e.id), "sentiment-app"]);
    expect(doc.entries.at(-1)).toEqual({
      id: "sentiment-app",
      library: "Sentiment App",
      origin: "mlpack.json",
      related: [],
      locations: [
        {
          key: "default",
          role: "cache",
          candidates: ["$SENTIMENT_HOME", "~/.sentiment-app"],
          searchAll: false,
          target: "sentiment-app",
          env: { SENTIMENT_HOME: "{dir}" },
          writable: true,
        },
      ],
      staticEnv: { SENTIMENT_OFFLINE: "1" },
      writable: true,
      notes: ["Load with sentiment.load(offline=True)."],
    });
    const hf = doc.entries.find((e) => e.id === "huggingface");
    expect(hf?.origin).toBe("built-in");
    expect(hf?.locations[0]?.candidates).toEqual(["$HF_HOME", "${XDG_CACHE_HOME:-~/.cache}/huggingface"]);
  });

  it("prints a table, and one entry in detail", async () => {
    const project = await useTempProject({ "mlpack.json": JSON.stringify({ catalog: USER }) });
    const list = await runCli(["catalog"], { cwd: project.dir });
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^ID +LIBRARY +FROM +LOCATION/);
    expect(list.stdout).toMatch(/\nsentiment-app +Sentiment App +mlpack\.json +\$SENTIMENT_HOME > ~\/\.sentiment-app +SENTIMENT_HOME +yes\n/);
    expect(list.stdout).toContain(`${CATALOG.length} built-in entries, 1 from mlpack.json.`);
    const one = await runCli(["catalog", "nltk"], { cwd: project.dir });
    expect(one.stdout).toContain("nltk (nltk, built-in)");
    expect(one.stdout).toContain("  data [cache]: $NLTK_DATA (a :-list) + ~/nltk_data");
    expect(one.stdout).toContain("    ENV NLTK_DATA={dir}");
    const missing = await runCli(["catalog", "nope", "--json"], { cwd: project.dir });
    expect(missing.code).toBe(2);
    expect(errorDocument.parse(JSON.parse(missing.stdout)).error).toMatchObject({ code: "E_USAGE", message: 'no catalog entry "nope"' });
  });

  it("a bad user entry is exit 2 naming the key, for catalog and discover alike", async () => {
    const bad = [{ ...USER[0], env: { "BAD-NAME": "{dir}" } }];
    const project = await useTempProject({ "mlpack.json": JSON.stringify({ catalog: bad }) });
    for (const args of [["catalog"], ["discover", "--runner", "local", "--", "true"]]) {
      const r = await runCli(["--json", ...args], { cwd: project.dir });
      expect(r.code).toBe(2);
      const doc = errorDocument.parse(JSON.parse(r.stdout));
      expect(doc.error.code).toBe("E_CONFIG");
      expect(doc.error.message).toContain('key "catalog.0.env.BAD-NAME" is invalid: variable names must match');
    }
    await writeFile(project.path("mlpack.json"), JSON.stringify({ catalog: [{ ...USER[0], id: "torch" }] }));
    const clash = await runCli(["catalog"], { cwd: project.dir });
    expect(clash.code).toBe(2);
    expect(clash.stderr).toContain('key "catalog.0.id" is invalid: is a built-in entry\'s id');
  });
});
