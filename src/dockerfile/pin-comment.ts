import type { AssetImageRef } from "./types.js";

/**
 * Why the FROM line looks the way it does, written into the generated file: a reader seeing
 * `FROM sha256:…` should not have to guess that it is deliberate.
 */
export function describePin(ref: AssetImageRef): string[] {
  switch (ref.pin) {
    case "registry-digest":
      return ["Pinned by its registry manifest digest: builds resolve exactly these bytes."];
    case "image-id":
      return [
        "Pinned by image ID (the sha256 of the image config, which names every layer's diff_id).",
        "The image was loaded with `docker load`; Docker's graphdriver store records no repository digest for loaded images, so a `name@sha256:<manifest digest>` reference would make the builder try to pull it. The image ID resolves locally with the legacy builder (DOCKER_BUILDKIT=0).",
        "For builds on other machines or with BuildKit, run `mlpack push` and re-run `mlpack dockerfile`.",
      ];
  }
}
