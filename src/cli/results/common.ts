import { z } from "zod";

/** `sha256:<64 hex>`: every digest mlpack reports. */
export const digest = z.string().regex(/^sha256:[0-9a-f]{64}$/);
export const count = z.number().int().nonnegative();
export const stringMap = z.record(z.string(), z.string());
export const skippedPath = z.strictObject({ path: z.string(), reason: z.string() });

/**
 * The success document every `--json` run prints: the envelope (`schemaVersion`, `ok`, `command`,
 * `warnings`) around the command's own fields, exactly as `Output.result` spreads them.
 */
export function resultDocument<C extends string, S extends z.ZodRawShape>(
  command: C,
  data: z.ZodObject<S>,
  description: string,
  /** Keep fields the schema does not name (only for a result that is still provisional). */
  loose = false,
) {
  const envelope = loose ? z.looseObject : z.strictObject;
  return envelope({
    schemaVersion: z.literal(1),
    ok: z.literal(true),
    command: z.literal(command),
    ...data.shape,
    warnings: z.array(z.string()).describe("warnings printed during the run, in order"),
  }).meta({ title: `mlpack ${command} --json`, description });
}

/** What every failing `--json` run prints (DESIGN.md §7); the exit code says which kind of failure. */
export const errorDocument = z
  .strictObject({
    schemaVersion: z.literal(1),
    ok: z.literal(false),
    error: z.strictObject({
      code: z
        .string()
        .regex(/^E_[A-Z0-9_]+$/)
        .describe("stable error code, e.g. E_USAGE, E_LOCK_DRIFT, E_REGISTRY"),
      message: z.string(),
      hint: z.string().optional().describe("what to do about it"),
      details: z.unknown().optional().describe("structured data, e.g. the drift report of discover --check"),
    }),
  })
  .meta({
    title: "mlpack error --json",
    description: "Printed on stdout by any command run with --json that fails; the exit code is non-zero.",
  });
