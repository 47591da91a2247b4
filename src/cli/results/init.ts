import { z } from "zod";
import { resultDocument } from "./common.js";

export const initData = z.strictObject({
  files: z.array(
    z.strictObject({
      path: z.string().describe("absolute path written"),
      kind: z.enum(["config", "schema", "workflow"]).describe("schema: mlpack.schema.json, which mlpack.json's $schema names"),
      action: z.enum(["created", "overwritten"]),
    }),
  ),
  ci: z.enum(["github", "gitlab"]).nullable(),
});

export const initResult = resultDocument("init", initData, "The files mlpack init wrote.");
