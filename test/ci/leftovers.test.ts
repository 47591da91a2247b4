import { expect, it } from "vitest";
import { pushImage } from "../../src/registry/push.js";
import { randomImage, uniqueRepo } from "../registry/support/image.js";
import { deletePushed } from "../support/cleanup.js";
import { testEnv } from "../support/env.js";
import { describeReal } from "../support/real.js";
import { fetchRegistry } from "../support/registry.js";

await describeReal("registry", "tests remove what they push (support/cleanup.ts)", () => {
  it("every tag of a tracked repository is deleted from the registry", async () => {
    const registry = testEnv().registry;
    const repo = uniqueRepo("cleanup");
    const image = randomImage([1024]);
    for (const tag of ["v1", "v2"]) {
      await pushImage({ image, registry: `http://${registry}`, repository: repo, tag, auth: undefined, emit: () => {} });
    }
    const before = await fetchRegistry(`/v2/${repo}/tags/list`);
    expect(((await before.json()) as { tags: string[] }).tags.sort()).toEqual(["v1", "v2"]);

    // Both tags name one manifest: one DELETE removes it, and with it the tags.
    expect(await deletePushed([repo])).toBe(1);
    const manifest = await fetchRegistry(`/v2/${repo}/manifests/${image.manifestDigest}`, {
      headers: { accept: "application/vnd.oci.image.manifest.v1+json" },
    });
    expect(manifest.status).toBe(404);
    const after = await fetchRegistry(`/v2/${repo}/tags/list`);
    const tags = after.status === 200 ? ((await after.json()) as { tags: string[] | null }).tags : null;
    expect(tags ?? []).toEqual([]);
    expect(await deletePushed([repo])).toBe(0);
  });
});
