/** Keeps the last bytes of a command's output, for the error report when it fails. */
export class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit = 8192) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - (this.chunks[0]?.length ?? 0) >= this.limit && this.chunks.length > 1) {
      this.size -= this.chunks.shift()!.length;
    }
  }

  /** The last lines (at most `limit` bytes, whole lines where possible). */
  text(maxLines = 20): string {
    const text = Buffer.concat(this.chunks).subarray(-this.limit).toString("utf8");
    return text.trimEnd().split("\n").slice(-maxLines).join("\n");
  }
}
