import type { MlpackEvent } from "../events.js";
import { escapeName } from "../util/names.js";
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
    const parts = [...this.bars.values()].map(barText);
    this.clear();
    if (parts.length === 0) return;
    // Read on every draw: the terminal may have been resized. The last column stays free so the cursor
    // never wraps to a new line (the next \r would then clear the wrong one).
    const columns = (this.out as { columns?: number }).columns;
    this.out.write(fitLine(parts, (columns && columns > 1 ? columns : 80) - 1));
    this.lineShown = true;
  }
}

interface BarText {
  label: string;
  stats: string;
}

function barText(bar: Bar): BarText {
  const label = escapeName(bar.label);
  const seconds = Math.max((Date.now() - bar.started) / 1000, 0.001);
  if (bar.unit === "items") return { label, stats: `${bar.done}${bar.total === undefined ? "" : `/${bar.total}`}` };
  const pct = bar.total ? ` ${Math.floor((bar.done / bar.total) * 100)}%` : "";
  const total = bar.total === undefined ? "" : `/${formatBytes(bar.total)}`;
  return { label, stats: `${formatBytes(bar.done)}${total}${pct} ${formatBytes(bar.done / seconds)}/s` };
}

function describe(bar: Bar): string {
  const { label, stats } = barText(bar);
  return `${label}: ${stats}`;
}

const length = (text: string): number => [...text].length;

/** "hugg…face: 12 MiB/40 MiB": the label shortened in the middle, the numbers kept. */
function shorten(label: string, max: number): string {
  const chars = [...label];
  if (chars.length <= max) return label;
  if (max <= 1) return "…".slice(0, Math.max(max, 0));
  const head = Math.ceil((max - 1) / 2);
  return `${chars.slice(0, head).join("")}…${chars.slice(chars.length - (max - 1 - head)).join("")}`;
}

const MIN_LABEL = 8;

/**
 * One status line of at most `width` characters for every running task: labels shortened before numbers,
 * and when even that does not fit, the newest tasks that do, after a "+N more" count.
 */
export function fitLine(bars: readonly BarText[], width: number): string {
  const join = (list: readonly BarText[]) => list.map((b) => `${b.label}: ${b.stats}`).join(" | ");
  const full = join(bars);
  if (length(full) <= width) return full;
  for (let keep = bars.length; keep >= 1; keep -= 1) {
    const shown = bars.slice(bars.length - keep);
    const prefix = keep < bars.length ? `+${bars.length - keep} more | ` : "";
    const room = width - length(prefix) - 3 * (keep - 1);
    const perBar = Math.floor(room / keep);
    const fits = shown.every((b) => perBar - length(b.stats) - 2 >= Math.min(MIN_LABEL, length(b.label)));
    if (!fits && keep > 1) continue;
    const line = prefix + shown.map((b) => `${shorten(b.label, perBar - length(b.stats) - 2)}: ${b.stats}`).join(" | ");
    if (length(line) <= width) return line;
  }
  // A terminal narrower than one task's numbers: cut the end.
  return [...full].slice(0, Math.max(width, 0)).join("");
}
