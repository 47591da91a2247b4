import { z } from "zod";
import { errorDocument } from "./common.js";
import { mlpackConfigJsonSchema } from "./config-json-schema.js";
import { RESULT_SCHEMAS, type ResultCommand } from "./index.js";

/** Where the schemas are published inside the npm package (`files` ships `schemas/`). */
export const SCHEMA_BASE = "https://unpkg.com/mlpack/schemas/";

/** The file name of a command's result schema in `schemas/`. */
export function resultSchemaFile(command: ResultCommand): string {
  return `${command}.result.schema.json`;
}

function withId(file: string, schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema, ...rest } = schema;
  return { $schema, $id: `${SCHEMA_BASE}${file}`, ...rest };
}

/**
 * Every JSON Schema mlpack ships, by file name under `schemas/`: one per command's `--json` document, the
 * error document, and `mlpack.schema.json` for the config file. `scripts/gen-schemas.mjs` writes them and a
 * test fails when the checked-in files differ, so they are always what the zod schemas say.
 */
export function jsonSchemaFiles(): Record<string, Record<string, unknown>> {
  const files: Record<string, Record<string, unknown>> = {};
  for (const command of Object.keys(RESULT_SCHEMAS) as ResultCommand[]) {
    const file = resultSchemaFile(command);
    files[file] = withId(file, z.toJSONSchema(RESULT_SCHEMAS[command].document) as Record<string, unknown>);
  }
  files["error.schema.json"] = withId(
    "error.schema.json",
    z.toJSONSchema(errorDocument) as Record<string, unknown>,
  );
  files["mlpack.schema.json"] = withId("mlpack.schema.json", mlpackConfigJsonSchema());
  return files;
}

/** The exact bytes written for a schema (2-space JSON, newline at the end). */
export function serializeSchema(schema: Record<string, unknown>): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}
