import type { Readable } from "node:stream";
import type Docker from "dockerode";
import { MlpackError } from "../errors.js";
import type { RunContext } from "../events.js";
import { dockerLoadStream, openLayout } from "../image/index.js";

/**
 * Streams the layout into the engine (`POST /images/load`) under `tag` and returns the engine's image id.
 * The tarball carries both an OCI layout and a Docker manifest.json, so graphdriver and containerd stores accept it.
 */
export async function loadIntoDocker(
  docker: Docker,
  layoutDir: string,
  tag: string,
  ctx: RunContext,
): Promise<string> {
  const image = await openLayout(layoutDir);
  ctx.emit({ type: "step", message: `loading ${tag} into Docker` });
  const response = (await docker.loadImage(dockerLoadStream(image, tag), { quiet: true })) as Readable;
  const messages: string[] = [];
  for await (const chunk of response) messages.push(String(chunk));
  const text = messages.join("");
  const error = /"error(?:Detail)?":\s*\{?"?(?:message"?:\s*)?"([^"]+)"/.exec(text);
  if (error) {
    throw new MlpackError(`docker load of ${tag} failed: ${error[1]}`, {
      code: "E_DOCKER_LOAD",
      hint: "Check the engine's log; rerun with --verbose for details.",
    });
  }
  const info = await docker.getImage(tag).inspect();
  return info.Id;
}
