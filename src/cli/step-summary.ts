import type { z } from "zod";
import { escapeName } from "../util/names.js";
import { includeArgument } from "../discover/include-spec.js";
import { formatBytes } from "./format.js";
import type {
  AssembleData,
  BundleData,
  DiscoverData,
  DockerfileData,
  ExportData,
  InitData,
  PushData,
  VerifyStaticData,
} from "./results/index.js";
import { isResultCommand, RESULT_SCHEMAS } from "./results/index.js";

/*
 * Values in the summary come from the user's project and from containers (file names, image names), so each
 * is escaped for where it lands: control characters as visible escapes (util/names), Markdown and HTML
 * syntax inert in text, code spans fenced so no backtick can close them, and pipes escaped in table cells
 * (GFM removes that escape before parsing the cell, code spans included).
 */

/** Plain text: control characters escaped, and the punctuation that could start Markdown or HTML. */
export function mdText(value: string | number): string {
  return escapeName(String(value)).replace(/[\\`*_[\]<>#!~&$]/g, (c) => `\\${c}`);
}

/** A code span that shows `value` literally: the fence is longer than any run of backticks inside. */
export function mdCode(value: string): string {
  const text = escapeName(value);
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** A table cell: text made safe by mdText/mdCode, pipes escaped, so one value never breaks the row. */
function cell(value: string | number): string {
  return String(value).replace(/\|/g, "\\|");
}

function table(headers: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const line = (cells: readonly (string | number)[]) => `| ${cells.map(cell).join(" | ")} |`;
  return [line(headers), line(headers.map(() => "---")), ...rows.map(line)].join("\n");
}

const code = mdCode;

function discover(d: DiscoverData): string {
  const root = d.lock.assetRoot;
  const lines = [
    "### mlpack discover",
    "",
    d.assets.length > 0
      ? table(
          ["Asset", "Library", "Target", "Files", "Size", "Bytes"],
          d.assets.map((a) => [
            code(a.id),
            mdText(a.library),
            code(`${root}/${a.target}`),
            a.files,
            formatBytes(a.bytes),
            a.bytes,
          ]),
        )
      : "No known ML caches were written by the command.",
  ];
  if (d.unclassified.length > 0) {
    lines.push("", "New folders no library claims (not packaged):");
    for (const u of d.unclassified)
      lines.push(
        `- ${code(u.path)}: ${u.files} ${u.files === 1 ? "file" : "files"}, ${formatBytes(u.bytes)}${u.include === null ? "" : `; add with ${code(includeArgument(u.include))}`}`,
      );
  }
  if (d.secrets.length > 0) lines.push("", `Secrets never packaged: ${d.secrets.map(code).join(", ")}`);
  lines.push("", d.checked ? "`mlpack.lock.json` is up to date." : "Wrote `mlpack.lock.json`.");
  return lines.join("\n");
}

function bundle(d: BundleData): string {
  const total = d.layers.reduce((n, l) => n + l.size, 0);
  const lines = [
    "### mlpack bundle",
    "",
    `Image ${code(d.digest)}: ${d.layers.length} layers, ${formatBytes(total)} compressed.`,
    "",
    table(
      ["Layer", "Asset", "Files", "Uncompressed", "Compressed", "Digest"],
      d.layers.map((l) => [
        code(l.title),
        mdText(l.assetId),
        l.files,
        formatBytes(l.uncompressedSize),
        formatBytes(l.size),
        code(l.digest.slice(0, 19)),
      ]),
    ),
  ];
  if (d.loaded) lines.push("", `Loaded into Docker as ${code(d.loaded.tag)}.`);
  return lines.join("\n");
}

function push(d: PushData): string {
  const uploaded = d.blobs.filter((b) => b.action === "uploaded").length;
  const rows: [string, string | number, string, number][] = [
    ["uploaded", uploaded, formatBytes(d.uploadedBytes), d.uploadedBytes],
    ["skipped (already there)", d.blobs.length - uploaded, formatBytes(d.skippedBytes), d.skippedBytes],
  ];
  return [
    "### mlpack push",
    "",
    `Pushed ${code(d.reference)} (tag ${code(d.tag)}${d.manifestAction === "skipped" ? ", already pointed at this digest" : ""}).`,
    "",
    table(["Blobs", "Count", "Size", "Bytes"], rows),
  ].join("\n");
}

function dockerfile(d: DockerfileData): string {
  const where = d.output ? `Wrote ${code(d.output)}` : "Generated a Dockerfile";
  const from =
    d.storage.kind !== "oci"
      ? `with the assets on ${d.storage.kind} at ${code(d.storage.root)}`
      : d.assetImage
        ? `from ${code(d.assetImage.from)}`
        : "without assets (for `mlpack assemble`)";
  return `### mlpack dockerfile\n\n${where} (${mdText(d.target)}) ${from}: ${d.copies.length} asset COPY lines, ${Object.keys(d.env).length} ENV variables, ${formatBytes(d.size.totalBytes)} in total.`;
}

function exportSummary(d: ExportData): string {
  const where = d.destination.kind === "s3" ? d.destination.url : d.destination.path;
  return [
    "### mlpack export",
    "",
    `Exported ${d.assets.length} assets to ${code(where)}; manifest ${code(d.manifest)} ${d.manifestAction}.`,
    "",
    table(
      ["Files", "Count", "Size", "Bytes"],
      [
        ["written", d.written.files, formatBytes(d.written.bytes), d.written.bytes],
        ["skipped (already there)", d.skipped.files, formatBytes(d.skipped.bytes), d.skipped.bytes],
      ],
    ),
  ].join("\n");
}

function init(d: InitData): string {
  return `### mlpack init\n\nWrote ${d.files.map((f) => code(f.path)).join(", ")}.`;
}

function assemble(d: AssembleData): string {
  return [
    "### mlpack assemble",
    "",
    `${code(d.reference)} (tag ${code(d.tag)}): ${d.layers.length} blobs; uploaded ${formatBytes(d.bytes.uploaded)}, mounted ${formatBytes(d.bytes.mounted)}, already there ${formatBytes(d.bytes.skipped)}.`,
  ].join("\n");
}

/**
 * The GitHub Actions job-summary section for a command's result (the `data` given to `Output.result`), or
 * undefined when the command has none or the data is not what its result schema says.
 */
export function stepSummaryMarkdown(command: string, data: object): string | undefined {
  if (!isResultCommand(command)) return undefined;
  const parsed = (RESULT_SCHEMAS[command].data as z.ZodType).safeParse(data);
  if (!parsed.success) return undefined;
  const value = parsed.data;
  let text: string;
  switch (command) {
    case "discover":
      text = discover(value as DiscoverData);
      break;
    case "bundle":
      text = bundle(value as BundleData);
      break;
    case "push":
      text = push(value as PushData);
      break;
    case "dockerfile":
      text = dockerfile(value as DockerfileData);
      break;
    case "verify":
      text = `### mlpack verify\n\n${code(String((value as { image: string }).image))} ran read-only, offline and as a non-root user; its assets loaded.`;
      break;
    case "init":
      text = init(value as InitData);
      break;
    case "assemble":
      text = assemble(value as AssembleData);
      break;
    case "verify-static": {
      const v = value as VerifyStaticData;
      text = `### mlpack verify --static\n\n${code(v.image)} passes Lambda's deploy-time rules: ${v.layers.length} layers, ${formatBytes(v.uncompressedBytes)} uncompressed.`;
      break;
    }
    case "catalog":
      // Listing the catalog changes nothing worth a job-summary section.
      return undefined;
    case "export":
      text = exportSummary(value as ExportData);
      break;
  }
  return `${text}\n`;
}
