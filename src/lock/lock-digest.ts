import { createHash } from "node:crypto";
import { type Lock, serializeLock } from "./lock.js";

/** sha256 of the lock's exact bytes: recorded in the image label and the Dockerfile header. */
export function lockDigest(lock: Lock): string {
  return `sha256:${createHash("sha256").update(serializeLock(lock)).digest("hex")}`;
}
