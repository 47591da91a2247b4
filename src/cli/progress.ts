import type { MlpackEvent } from "../events.js";
import { formatBytes } from "./format.js";

type ProgressEvent = Extract<MlpackEvent, { type: "progress" | "progress-end" }>;

interface Bar {
  label: string;
  done: number;
  total: number | undefined;
  unit: "bytes" | "items";
  started: number;
}

/**
 * Shows progress events: a single redrawn status line on a TTY (live), or one plain line per finished task
 * otherwise (CI logs stay readable and free of escape codes).
 */
export class ProgressRenderer {
  private readonly bars = new Map<string, Bar>();
  private lineShown = false;
  private lastDraw = 0;

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly live: boolean,
  ) {}

  handle(event: ProgressEvent): void {
    if (event.type === "progress") {
      const bar = this.bars.get(event.id);
      if (bar) {
        bar.done = event.done;
        bar.total = event.total ?? bar.total;
      } else {
        this.bars.set(event.id, {
          label: event.label,
          done: event.done,
          total: event.total,
          unit: event.unit,
          started: Date.now(),
        });
      }
      if (this.live) this.draw(false);
      return;
    }
    const bar = this.bars.get(event.id);
    if (!bar) return;
    this.bars.delete(event.id);
    this.clear();
    this.out.write(`${describe(bar)}\n`);
    if (this.live) this.draw(true);
  }

  clear(): void {
    if (this.lineShown) {
      this.out.write("\r\x1b[2K");
      this.lineShown = false;
    }
  }

  finish(): void {
    this.clear();
    this.bars.clear();
  }

  private draw(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const parts = [...this.bars.values()].map(describe);
    this.clear();
    if (parts.length === 0) return;
    const columns = (this.out as { columns?: number }).columns ?? 100;
    this.out.write(parts.join(" | ").slice(0, columns - 1));
    this.lineShown = true;
  }
}

function describe(bar: Bar): string {
  const seconds = Math.max((Date.now() - bar.started) / 1000, 0.001);
  if (bar.unit === "items") {
    return `${bar.label}: ${bar.done}${bar.total === undefined ? "" : `/${bar.total}`}`;
  }
  const pct = bar.total ? ` ${Math.floor((bar.done / bar.total) * 100)}%` : "";
  const total = bar.total === undefined ? "" : `/${formatBytes(bar.total)}`;
  return `${bar.label}: ${formatBytes(bar.done)}${total}${pct} ${formatBytes(bar.done / seconds)}/s`;
}
