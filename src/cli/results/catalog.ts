import { z } from "zod";
import { resultDocument, stringMap } from "./common.js";

const location = z.strictObject({
  key: z.string(),
  role: z.enum(["cache", "noise", "secret"]).describe("cache: packaged; noise/secret: never packaged"),
  candidates: z
    .array(z.string())
    .describe("where the library looks, in its order ($VAR, ~/path, ${XDG_CACHE_HOME:-~/.cache}/path, <entry.location>/path)"),
  searchAll: z.boolean().describe("every candidate is searched (a search path like nltk's), not the first that applies"),
  target: z.string().nullable().describe("folder under the asset root when packaged"),
  env: stringMap.describe("runtime ENV when packaged; {dir} = the folder in the image, {parent} = its parent"),
  writable: z.boolean().describe("the library writes here even on a cache hit"),
});

export const catalogEntry = z.strictObject({
  id: z.string(),
  library: z.string(),
  origin: z.enum(["built-in", "mlpack.json"]),
  related: z.array(z.string()).describe("other libraries that share this cache"),
  locations: z.array(location),
  staticEnv: stringMap.describe("ENV emitted with any asset of this entry (offline switches, /tmp redirects)"),
  writable: z.boolean(),
  notes: z.array(z.string()),
});

export const catalogData = z.strictObject({
  entries: z.array(catalogEntry).describe("built-in entries first, then mlpack.json's, each in catalog order"),
});

export const catalogResult = resultDocument(
  "catalog",
  catalogData,
  "The cache catalog mlpack classifies against: built-in entries and the user's from mlpack.json.",
);
