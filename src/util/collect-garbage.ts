import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let gc: (() => void) | null | undefined;

/**
 * Runs a full garbage collection now, between phases of a long build. V8 collects the old generation only
 * when it nears a limit it keeps raising, so the garbage of a 40k-entry scan or a 20k-file layer would
 * otherwise sit in the heap (and in RSS) through the next multi-GB layer. A full GC of this heap takes a
 * few milliseconds; it changes no output. `--expose-gc` is switched on for a fresh context only, which is
 * how jest's leak detector reaches `gc` without a command-line flag; if that ever stops working, this is
 * a no-op.
 */
export function collectGarbage(): void {
  if (gc === undefined) {
    try {
      setFlagsFromString("--expose-gc");
      gc = runInNewContext("gc") as () => void;
    } catch {
      gc = null;
    }
  }
  gc?.();
}
