import { z } from "zod";
import { resultDocument } from "./common.js";

/** The fields scripts rely on; the diagnostic detail (findings, output tail, lock check) may grow. */
export const verifyData = z.looseObject({
  image: z.string().describe("the image that was verified"),
  ok: z.literal(true),
  argv: z.array(z.string()).describe("the command that ran in the image"),
  findings: z.array(z.looseObject({ kind: z.string(), message: z.string() })),
});

export const verifyResult = resultDocument(
  "verify",
  verifyData,
  "The image ran read-only, offline and as a non-root user, and its assets loaded.",
  true,
);
