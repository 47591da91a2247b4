import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildImage, type BuildImageOptions } from "../../src/image/build-image.js";
import { type TarEntry, tarStream } from "../../src/image/tar-entries.js";
import { tempDir, singleAssetOptions } from "./helpers.js";

const tmp = tempDir("mlpack-hostile-names-");
afterAll(() => tmp.cleanup());

const NFC = "caf\u00e9.txt";
const NFD = "cafe\u0301.txt";
/** Valid UTF-8 names that must survive byte for byte: control characters, backslash, Unicode twins. */
const NAMES = ["line\nbreak.txt", "tab\there", "back\\slash", NFC, NFD, "sp ace", "😀-emoji", `${"ü".repeat(60)}.bin`];

function options(dir: string, layoutDir: string): BuildImageOptions {
  return singleAssetOptions(dir, layoutDir, { tag: "names" });
}

/** name bytes (hex) → content, for every file below `dir` (names read as bytes: nothing decoded). */
function byteTree(dir: Buffer, prefix = ""): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of readdirSync(dir, { encoding: "buffer" })) {
    const path = Buffer.concat([dir, Buffer.from("/"), name]);
    const rel = `${prefix}${name.toString("hex")}/`;
    try {
      for (const [k, v] of byteTree(path, rel)) out.set(k, v);
    } catch {
      out.set(rel, readFileSync(path).toString("hex"));
    }
  }
  return out;
}

describe("hostile names", () => {
  it("newline, TAB, backslash and NFC/NFD twins round-trip byte-exact through bundle and umoci unpack", async () => {
    const staged = join(tmp.dir, "ok");
    mkdirSync(join(staged, "dir\nwith\tcontrols"), { recursive: true });
    for (const [i, name] of NAMES.entries()) writeFileSync(join(staged, name), `content ${i}\n`);
    writeFileSync(join(staged, "dir\nwith\tcontrols", NFD), "nested twin\n");
    symlinkSync(NFC, join(staged, "link\nto-nfc"));
    const layout = join(tmp.dir, "ok-oci");
    await buildImage(options(staged, layout));
    const bundleDir = join(tmp.dir, "ok-unpacked");
    execFileSync("umoci", ["unpack", "--rootless", "--image", `${layout}:names`, bundleDir], { stdio: "pipe" });
    const root = join(bundleDir, "rootfs", "cache", "x");
    expect(byteTree(Buffer.from(root))).toEqual(byteTree(Buffer.from(staged)));
    expect(readdirSync(root)).toContain(NFC);
    expect(readdirSync(root)).toContain(NFD);
  });

  it("a name that is not valid UTF-8 is refused with E_UNSUPPORTED_NAME and the escaped path; nothing is written", async () => {
    const staged = join(tmp.dir, "bad");
    mkdirSync(staged, { recursive: true });
    writeFileSync(join(staged, "fine.txt"), "ok\n");
    // Latin-1 "é" (0xE9) alone is not UTF-8.
    writeFileSync(Buffer.concat([Buffer.from(`${staged}/caf`), Buffer.from([0xe9]), Buffer.from(".txt")]), "latin1\n");
    const layout = join(tmp.dir, "bad-oci");
    const error = await buildImage(options(staged, layout)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "E_UNSUPPORTED_NAME", exitCode: 2 });
    expect((error as Error).message).toContain(`${staged}/caf\\xe9.txt`);
    expect(readdirSync(layout)).not.toContain("index.json");
  });

  it("the tar writer refuses absolute names, `..` components and NUL whatever its caller says (E_UNSAFE_PATH)", async () => {
    for (const name of ["/etc/passwd", "cache/../bin/ls", "..", "cache/x/..", "a\0b"]) {
      const entries: TarEntry[] = [{ name, type: "dir", mode: 0o755, size: 0 }];
      await expect(async () => {
        for await (const _ of tarStream(entries, { mtime: 0 })) {
          // drain
        }
      }).rejects.toMatchObject({ code: "E_UNSAFE_PATH" });
    }
    const link: TarEntry[] = [{ name: "cache/h", type: "hardlink", mode: 0o644, size: 0, linkname: "../../etc/shadow" }];
    await expect(async () => {
      for await (const _ of tarStream(link, { mtime: 0 })) {
        // drain
      }
    }).rejects.toMatchObject({ code: "E_UNSAFE_PATH" });
  });

  it("a target with `..` or a relative asset root is refused before anything is written", async () => {
    const staged = join(tmp.dir, "ok");
    for (const [assetRoot, target] of [["/cache", "../bin"], ["cache", "x"], ["/cache/../..", "x"]] as const) {
      const layout = join(tmp.dir, `unsafe-${Math.random().toString(16).slice(2)}`);
      const opts = { ...options(staged, layout), assetRoot };
      opts.assets = [{ id: "x", target, dir: staged, layering: "single" }];
      await expect(buildImage(opts)).rejects.toMatchObject({ code: "E_UNSAFE_PATH", exitCode: 2 });
      expect(() => readdirSync(layout)).toThrow();
    }
  });
});
