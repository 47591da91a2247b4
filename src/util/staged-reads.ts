import { constants } from "node:fs";

/**
 * Staged files up to this size are read with one synchronous read into a reused buffer (bundle, the lock's
 * tree digest, export's hashes): for the typical 5 KB file a thread-pool round trip costs more than the
 * read itself. Larger files are streamed.
 */
export const SMALL_FILE = 1 << 20;

/**
 * How staged files are opened for reading: never through a link (a file swapped for one is refused with
 * ELOOP), never blocking on a FIFO swapped in.
 */
export const NO_FOLLOW_READ = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
