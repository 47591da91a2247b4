import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InterruptedError } from "../../src/errors.js";
import { type BuildImageOptions, buildImage } from "../../src/image/build-image.js";
import { openLayout } from "../../src/image/layout-reader.js";
import { stageFixture, tempDir, singleAssetOptions } from "./helpers.js";

const tmp = tempDir("mlpack-interrupt-");
afterAll(() => tmp.cleanup());

const bigDir = join(tmp.dir, "big");
let small: ReturnType<typeof stageFixture>;

beforeAll(() => {
  mkdirSync(bigDir);
  // Sparse: cheap to create, but still gigabytes of tar to stream, so there is time to interrupt.
  execFileSync("truncate", ["-s", "3G", join(bigDir, "weights.bin")]);
  small = stageFixture(join(tmp.dir, "small"));
});

function options(layoutDir: string, dir: string): BuildImageOptions {
  return singleAssetOptions(dir, layoutDir, { id: "big", compression: "stored", workers: 0 });
}

async function abortMidLayer(layoutDir: string): Promise<unknown> {
  const controller = new AbortController();
  return buildImage({
    ...options(layoutDir, bigDir),
    signal: controller.signal,
    emit: (e) => {
      if (e.type === "progress" && e.done > 0) controller.abort();
    },
  }).then(
    () => null,
    (error: unknown) => error,
  );
}

function blobNames(layoutDir: string): string[] {
  return readdirSync(join(layoutDir, "blobs", "sha256"));
}

describe("interrupted builds", () => {
  it("AbortSignal mid-layer: InterruptedError, no temp blob, and a fresh layout is rejected", async () => {
    const layout = join(tmp.dir, "fresh");
    const error = await abortMidLayer(layout);
    expect(error).toBeInstanceOf(InterruptedError);
    expect(blobNames(layout)).toEqual([]);
    await expect(openLayout(layout)).rejects.toMatchObject({ code: "E_LAYOUT_INVALID", exitCode: 2 });
    await expect(openLayout(layout)).rejects.toMatchObject({
      hint: expect.stringContaining("mlpack bundle"),
    });
  });

  it("AbortSignal mid-layer keeps the previous complete image readable", async () => {
    const layout = join(tmp.dir, "previous");
    const old = await buildImage({ ...options(layout, small[1]!.dir), assets: small });
    expect(await abortMidLayer(layout)).toBeInstanceOf(InterruptedError);
    const source = await openLayout(layout);
    expect(source.manifestDigest).toBe(old.manifestDigest);
    expect(source.layers.map((l) => l.digest)).toEqual(old.layers.map((l) => l.digest));
  });

  it("openLayout rejects a layout whose manifest or layer blob is damaged", async () => {
    const layout = join(tmp.dir, "damaged");
    const built = await buildImage({ ...options(layout, small[1]!.dir), assets: small });
    writeFileSync(join(layout, "blobs", "sha256", built.layers[0]!.digest.slice(7)), "short");
    await expect(openLayout(layout)).rejects.toThrow(/layer 0 blob .* has 5 bytes/);
    writeFileSync(join(layout, "blobs", "sha256", built.manifestDigest.slice(7)), "{}");
    await expect(openLayout(layout)).rejects.toThrow(/manifest blob .* is corrupt/);
  });

  describe("SIGKILL mid-layer (separate process)", () => {
    const compiled = join(tmp.dir, "compiled");

    beforeAll(() => {
      // The child runs the real library as plain JavaScript: compile src/image and what it imports.
      const root = join(import.meta.dirname, "..", "..");
      const tsconfig = join(tmp.dir, "tsconfig.json");
      writeFileSync(
        tsconfig,
        JSON.stringify({
          extends: join(root, "tsconfig.json"),
          compilerOptions: {
            outDir: compiled,
            rootDir: root,
            noEmit: false,
            sourceMap: false,
            typeRoots: [join(root, "node_modules", "@types")],
          },
          include: [join(root, "src", "image", "**", "*.ts")],
        }),
      );
      try {
        execFileSync(join(root, "node_modules", ".bin", "tsc"), ["-p", tsconfig], { stdio: "pipe" });
      } catch (error) {
        // Type errors elsewhere (other files in progress) still emit JavaScript; only missing output is fatal.
        if (!existsSync(join(compiled, "src", "image", "build-image.js"))) {
          const out = (error as { stdout?: Buffer }).stdout?.toString() ?? "";
          throw new Error(`compiling src/image for the child failed:\n${out}`);
        }
      }
      writeFileSync(join(compiled, "package.json"), '{"type":"module"}');
    }, 120_000);

    async function killMidLayer(layoutDir: string): Promise<void> {
      const script = `
        const { buildImage } = await import(${JSON.stringify(join(compiled, "src", "image", "build-image.js"))});
        await buildImage({ ...${JSON.stringify(options(layoutDir, bigDir))},
          emit: (e) => { if (e.type === "progress" && e.done > 0) process.stdout.write("busy\\n"); } });
        process.stdout.write("finished\\n");`;
      const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      let output = "";
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (d: Buffer) => {
          output += d.toString();
          if (output.includes("busy")) child.kill("SIGKILL");
        });
        child.on("close", () => resolve());
        child.on("error", reject);
      });
      expect(output).not.toContain("finished");
      expect(child.signalCode).toBe("SIGKILL");
    }

    it("a killed first build leaves a layout openLayout rejects; the next build cleans up", async () => {
      const layout = join(tmp.dir, "killed-fresh");
      await killMidLayer(layout);
      expect(blobNames(layout).some((n) => n.startsWith(".mlpack-tmp-"))).toBe(true);
      await expect(openLayout(layout)).rejects.toMatchObject({ code: "E_LAYOUT_INVALID" });
      const rebuilt = await buildImage({ ...options(layout, small[1]!.dir), assets: small });
      expect(blobNames(layout).some((n) => n.startsWith("."))).toBe(false);
      expect((await openLayout(layout)).manifestDigest).toBe(rebuilt.manifestDigest);
    });

    it("a killed rebuild leaves the previous complete image in place", async () => {
      const layout = join(tmp.dir, "killed-previous");
      const old = await buildImage({ ...options(layout, small[1]!.dir), assets: small });
      await killMidLayer(layout);
      const source = await openLayout(layout);
      expect(source.manifestDigest).toBe(old.manifestDigest);
      expect(source.config.digest).toBe(old.configDigest);
    });
  });
});
