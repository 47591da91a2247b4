import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { RESULT_SCHEMAS } from "../../src/cli/results/index.js";
import { jsonSchemaFiles, resultSchemaFile, serializeSchema } from "../../src/cli/results/json-schemas.js";
import { SETTINGS } from "../../src/config/settings.js";
import { REPO_ROOT } from "./support.js";

const SCHEMA_DIR = join(REPO_ROOT, "schemas");
type Json = Record<string, unknown>;

describe("schemas/", () => {
  it("holds exactly what the zod schemas generate (run scripts/gen-schemas.mjs when this fails)", async () => {
    const wanted = jsonSchemaFiles();
    const present = (await readdir(SCHEMA_DIR)).filter((n) => n.endsWith(".json")).sort();
    expect(present).toEqual(Object.keys(wanted).sort());
    for (const [name, schema] of Object.entries(wanted)) {
      expect(await readFile(join(SCHEMA_DIR, name), "utf8"), `schemas/${name} is stale`).toBe(
        serializeSchema(schema),
      );
    }
  });

  it("gen-schemas.mjs --check agrees (it reads the built dist/)", async () => {
    const run = await execa("node", ["scripts/gen-schemas.mjs", "--check"], {
      cwd: REPO_ROOT,
      reject: false,
    });
    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
  });

  it("every result schema pins the envelope: schemaVersion 1, ok true, its command, warnings", () => {
    const files = jsonSchemaFiles();
    for (const command of Object.keys(RESULT_SCHEMAS) as (keyof typeof RESULT_SCHEMAS)[]) {
      const schema = files[resultSchemaFile(command)] as Json;
      const props = schema.properties as Record<string, Json>;
      expect(props.schemaVersion).toMatchObject({ const: 1 });
      expect(props.ok).toMatchObject({ const: true });
      expect(props.command).toMatchObject({ const: command });
      expect(schema.required).toEqual(expect.arrayContaining(["schemaVersion", "ok", "command", "warnings"]));
      expect(schema.$id).toBe(`https://unpkg.com/mlpack/schemas/${resultSchemaFile(command)}`);
    }
    const error = files["error.schema.json"] as Json;
    expect((error.properties as Record<string, Json>).ok).toMatchObject({ const: false });
  });

  it("mlpack.schema.json describes every settable key with its flag and MLPACK_* variable", () => {
    const schema = jsonSchemaFiles()["mlpack.schema.json"] as Json;
    const sections = schema.properties as Record<string, Json>;
    expect(schema.additionalProperties).toBe(false);
    for (const [section, specs] of Object.entries(SETTINGS)) {
      for (const spec of specs.filter((s) => s.inConfig !== false)) {
        const prop = ((sections[section]?.properties ?? {}) as Record<string, Json>)[spec.key];
        expect(prop?.description, `${section}.${spec.key}`).toContain("MLPACK_");
        if (spec.default !== undefined) expect(prop?.default).toEqual(spec.default);
      }
    }
  });
});
