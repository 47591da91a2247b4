import { z } from "zod";
import { resultDocument } from "./common.js";

/**
 * Provisional: `mlpack verify` has not landed, so only the field every rendering needs is fixed here.
 * Tighten to a strict object (like the other results) when the command's result is final.
 */
export const verifyData = z.looseObject({
  image: z.string().describe("the image that was verified"),
});

export const verifyResult = resultDocument(
  "verify",
  verifyData,
  "The image ran read-only, offline and as a non-root user, and its assets loaded.",
  true,
);
