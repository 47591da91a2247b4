/**
 * Progress and diagnostics are data: core code calls `emit` with one of these events and never prints.
 * The CLI decides how to render them (bars on a TTY, plain lines in CI, nothing under --json).
 */
export type MlpackEvent =
  /** `notice`: the user must see it even under --quiet (e.g. a container kept by --keep). */
  | { type: "step"; message: string; notice?: boolean }
  | { type: "warning"; message: string; path?: string }
  | { type: "log"; stream: "stdout" | "stderr"; text: string }
  | { type: "progress"; id: string; label: string; done: number; total?: number; unit: "bytes" | "items" }
  | { type: "progress-end"; id: string };

export type EmitFn = (event: MlpackEvent) => void;

export const noopEmit: EmitFn = () => {};

/** What every long-running core operation accepts. */
export interface RunContext {
  emit: EmitFn;
  signal?: AbortSignal;
}
