import type { ImageSource } from "./types.js";

/** The image config's `config.Labels` (small blob, read whole). */
export async function readConfigLabels(image: ImageSource): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  for await (const chunk of image.config.open()) chunks.push(chunk as Buffer);
  const config = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
    config?: { Labels?: Record<string, string> };
  };
  return config.config?.Labels ?? {};
}
