import type { z } from "zod";
import { assembleData, assembleResult } from "./assemble.js";
import { bundleData, bundleResult } from "./bundle.js";
import { catalogData, catalogResult } from "./catalog.js";
import type { errorDocument } from "./common.js";
import { discoverData, discoverResult } from "./discover.js";
import { dockerfileData, dockerfileResult } from "./dockerfile.js";
import { exportData, exportResult } from "./export.js";
import { initData, initResult } from "./init.js";
import { pushData, pushResult } from "./push.js";
import { verifyData, verifyResult } from "./verify.js";
import { verifyStaticData, verifyStaticResult } from "./verify-static.js";

export { errorDocument } from "./common.js";
export { mlpackConfigJsonSchema } from "./config-json-schema.js";

export type ResultCommand =
  | "discover"
  | "bundle"
  | "push"
  | "dockerfile"
  | "verify"
  | "init"
  | "assemble"
  | "verify-static"
  | "catalog"
  | "export";

/** Per command: the fields it passes to `Output.result` (`data`) and the whole `--json` document. */
export const RESULT_SCHEMAS: Record<ResultCommand, { data: z.ZodObject; document: z.ZodObject }> = {
  discover: { data: discoverData, document: discoverResult },
  bundle: { data: bundleData, document: bundleResult },
  push: { data: pushData, document: pushResult },
  dockerfile: { data: dockerfileData, document: dockerfileResult },
  verify: { data: verifyData, document: verifyResult },
  init: { data: initData, document: initResult },
  assemble: { data: assembleData, document: assembleResult },
  "verify-static": { data: verifyStaticData, document: verifyStaticResult },
  catalog: { data: catalogData, document: catalogResult },
  export: { data: exportData, document: exportResult },
};

export function isResultCommand(command: string): command is ResultCommand {
  return Object.hasOwn(RESULT_SCHEMAS, command);
}

export type DiscoverData = z.infer<typeof discoverData>;
export type BundleData = z.infer<typeof bundleData>;
export type PushData = z.infer<typeof pushData>;
export type DockerfileData = z.infer<typeof dockerfileData>;
export type VerifyData = z.infer<typeof verifyData>;
export type InitData = z.infer<typeof initData>;
export type ExportData = z.infer<typeof exportData>;
export type AssembleData = z.infer<typeof assembleData>;
export type VerifyStaticData = z.infer<typeof verifyStaticData>;
export type CatalogData = z.infer<typeof catalogData>;
export type ErrorDocument = z.infer<typeof errorDocument>;
