import { describeEntry, type DescribedEntry } from "../../catalog/describe.js";
import { CATALOG } from "../../catalog/index.js";
import { toCatalogEntry } from "../../catalog/user-entries.js";
import { UsageError } from "../../errors.js";
import { formatTable } from "../format.js";
import type { CommandContext } from "./index.js";

/** `mlpack catalog [id]`: the built-in entries and mlpack.json's, as a table, one entry in detail, or JSON. */
export async function runCatalog(ctx: CommandContext): Promise<void> {
  const all: DescribedEntry[] = [
    ...CATALOG.map((e) => describeEntry(e, "built-in")),
    ...(ctx.config.catalog ?? []).map((u) => describeEntry(toCatalogEntry(u), "mlpack.json")),
  ];
  const [id] = ctx.args;
  const entries = id === undefined ? all : all.filter((e) => e.id === id);
  if (id !== undefined && entries.length === 0) {
    throw new UsageError(`no catalog entry "${id}"`, { hint: `Known ids: ${all.map((e) => e.id).join(", ")}.` });
  }
  ctx.out.result("catalog", { entries }, () => (id === undefined ? renderList(entries) : renderOne(entries[0]!)));
}

function renderList(entries: readonly DescribedEntry[]): string {
  const rows = entries.map((e) => {
    const primary = e.locations.find((l) => l.role === "cache");
    const env = [...new Set(e.locations.flatMap((l) => Object.keys(l.env)))];
    return [
      e.id,
      e.library,
      e.origin,
      primary ? primary.candidates.join(primary.searchAll ? " + " : " > ") : "(no cache)",
      env.join(" "),
      e.writable || e.locations.some((l) => l.writable) ? "yes" : "",
    ];
  });
  const user = entries.filter((e) => e.origin === "mlpack.json").length;
  return [
    formatTable(["ID", "LIBRARY", "FROM", "LOCATION (first that applies wins)", "ENV", "WRITABLE"], rows),
    "",
    `${entries.length - user} built-in entries, ${user} from mlpack.json. Details: mlpack catalog <id>.`,
  ].join("\n");
}

function renderOne(e: DescribedEntry): string {
  const lines = [`${e.id} (${e.library}, ${e.origin})`];
  if (e.related.length > 0) lines.push(`  shared with: ${e.related.join(", ")}`);
  for (const l of e.locations) {
    lines.push(`  ${l.key} [${l.role}${l.writable ? ", writable" : ""}]: ${l.candidates.join(l.searchAll ? " + " : " > ")}`);
    if (l.target !== null) lines.push(`    target: ${l.target}`);
    for (const [k, v] of Object.entries(l.env)) lines.push(`    ENV ${k}=${v}`);
  }
  for (const [k, v] of Object.entries(e.staticEnv)) lines.push(`  ENV ${k}=${v}`);
  for (const n of e.notes) lines.push(`  note: ${n}`);
  return lines.join("\n");
}
