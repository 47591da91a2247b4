import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { execa } from "execa";
import { afterAll, beforeAll, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { testEnv } from "../support/env.js";
import { useTempProject } from "../support/project.js";
import { describeReal } from "../support/real.js";

/**
 * The real nltk library, not a fixture: `nltk.download` in the Debian python3-nltk image fetches a tiny package
 * index and zip from a server on the host (the container shares the host network), and discover must find the
 * nltk_data it wrote.
 */
const ZIP_SCRIPT = `
import io, sys, zipfile
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.writestr("mlpack_words/", "")
    z.writestr("mlpack_words/english", "alpha\\nbeta\\ngamma\\n")
    z.writestr("mlpack_words/README", "tiny corpus for mlpack tests\\n")
sys.stdout.buffer.write(buf.getvalue())
`;

const APP = `
import sys
import nltk
from nltk.downloader import Downloader
ok = Downloader(server_index_url=sys.argv[1]).download("mlpack_words", quiet=True, raise_on_error=True)
print("downloaded:", ok)
print("found:", nltk.data.find("corpora/mlpack_words/english"))
`;

let server: Server;
let indexUrl = "";

beforeAll(async () => {
  const zip = (await execa("python3", ["-c", ZIP_SCRIPT], { encoding: "buffer" })).stdout as Uint8Array;
  const md5 = createHash("md5").update(zip).digest("hex");
  server = createServer((req, res) => {
    const { port } = server.address() as AddressInfo;
    if (req.url === "/index.xml") {
      res.setHeader("content-type", "text/xml");
      res.end(`<?xml version="1.0"?>
<nltk_data><packages>
<package id="mlpack_words" name="mlpack words" subdir="corpora" url="http://127.0.0.1:${port}/mlpack_words.zip"
 size="${zip.length}" unzipped_size="40" checksum="${md5}" unzip="1" />
</packages><collections /></nltk_data>`);
    } else if (req.url === "/mlpack_words.zip") {
      res.end(Buffer.from(zip));
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  indexUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/index.xml`;
});

afterAll(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

await describeReal(["pythonImage"], "discover with the real nltk downloader", () => {
  it("finds nltk_data with the downloaded package in it", async () => {
    const project = await useTempProject({ "app.py": APP });
    const r = await runCli(
      ["discover", "--json", "--image", testEnv().pythonImage, "--network", "host", "--", "python3", "app.py", indexUrl],
      { cwd: project.dir },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("downloaded: True");
    const doc = JSON.parse(r.stdout);
    const nltk = doc.lock.assets.find((a: { library: string }) => a.library === "nltk");
    expect(nltk).toMatchObject({ target: "nltk_data", env: { NLTK_DATA: "/cache/nltk_data" } });
    expect(nltk.source).toMatch(/nltk_data$/);
    const staged = project.path(".mlpack", "assets", nltk.id, "corpora", "mlpack_words", "english");
    expect(await readFile(staged, "utf8")).toBe("alpha\nbeta\ngamma\n");
    // The downloaded zip itself is kept next to the unzipped corpus, as nltk leaves it.
    expect(nltk.files).toBeGreaterThanOrEqual(3);
  });
});
