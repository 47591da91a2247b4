import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { shellSplit } from "../../src/dockerfile/shell-split.js";
import { dockerClient } from "../support/docker.js";
import { testEnv } from "../support/env.js";
import { requireReal } from "../support/real.js";

/**
 * Issue 13's table: every field of mlpack.lock.json and mlpack.json, and every flag, that reaches a Dockerfile
 * or a path, fed line breaks, NUL, quotes, backslash, `$`, `;`, `..`, absolute paths and very long values.
 * Each is refused (exit 2, the key named) or renders inert — and every distinct Dockerfile that renders is
 * built with the real legacy builder and must have exactly the instructions mlpack meant to write, and the
 * ENV and CMD it reported. The CLI runs in-process (main()) so ~300 cases take seconds, not minutes.
 */
const RUN = randomBytes(4).toString("hex");
const { busyboxImage } = testEnv();
const BASE = `mlpack-test/hostile-base:${RUN}`;
const ASSETS = `mlpack-test/hostile-assets:${RUN}`;

interface Payload {
  name: string;
  apply: (base: string) => string;
}

const PAYLOADS: Payload[] = [
  { name: "newline", apply: (b) => `${b}\nRUN echo PWNED` },
  { name: "CR", apply: (b) => `${b}\rRUN echo PWNED` },
  { name: "NUL", apply: (b) => `${b}\u0000x` },
  { name: "double quote", apply: (b) => `${b}"x` },
  { name: "single quote", apply: (b) => `${b}'x` },
  { name: "backslash", apply: (b) => `${b}\\x` },
  { name: "dollar", apply: (b) => `${b}$HOME` },
  { name: "semicolon", apply: (b) => `${b};echo PWNED;#` },
  { name: "dotdot", apply: (b) => (b.startsWith("/") ? `${b}/../../bin` : `../${b}`) },
  { name: "absolute", apply: (b) => (b.startsWith("/") ? b.slice(1) : `/etc/${b}`) },
  { name: "long", apply: (b) => `${b}${"a".repeat(5000)}` },
];
const BREAKS = ["newline", "CR", "NUL"];

type Where = "lock" | "config" | "flag";

interface Field {
  where: Where;
  /** What the error message must name: `assets[0].target`, `dockerfile.base`, `--base`. */
  key: string;
  base: string;
  /** Payloads that must be refused whatever else happens (line breaks always are). */
  refuse: string[];
  setup: (value: string, c: CaseSetup) => void;
}

interface CaseSetup {
  lock: Record<string, unknown> & { assets: Record<string, unknown>[] };
  config: Record<string, Record<string, unknown>>;
  args: string[];
  files: Record<string, string>;
  generic: boolean;
  requirements?: string;
  output?: string;
}

const asset0 = (c: CaseSetup) => c.lock.assets[0]!;
const ALL = PAYLOADS.map((p) => p.name);
const PATHS = [...BREAKS, "dotdot"];

const FIELDS: Field[] = [
  { where: "lock", key: "assets[0].id", base: "nltk", refuse: ALL, setup: (v, c) => void (asset0(c).id = v) },
  { where: "lock", key: "assets[0].library", base: "nltk", refuse: ALL, setup: (v, c) => void (asset0(c).library = v) },
  {
    where: "lock",
    key: "assets[0].target",
    base: "nltk_data",
    refuse: [...PATHS, "absolute", "long"],
    setup: (v, c) => void (asset0(c).target = v),
  },
  {
    where: "lock",
    key: "assets[0].env",
    base: "NLTK_DATA",
    refuse: ALL,
    setup: (v, c) => void (asset0(c).env = { [v]: "/cache/nltk_data" }),
  },
  {
    where: "lock",
    key: "assets[0].env.NLTK_DATA",
    base: "/cache/nltk_data",
    refuse: BREAKS,
    setup: (v, c) => void (asset0(c).env = { NLTK_DATA: v }),
  },
  { where: "lock", key: "assetRoot", base: "/cache", refuse: [...PATHS, "absolute", "long"], setup: (v, c) => void (c.lock.assetRoot = v) },
  { where: "lock", key: "assets[0].home", base: ".nltk", refuse: [...PATHS, "absolute", "long"], setup: (v, c) => void (asset0(c).home = v) },
  { where: "lock", key: "assets[0].source", base: "/root/nltk_data", refuse: ["NUL"], setup: (v, c) => void (asset0(c).source = v) },
  { where: "lock", key: "image", base: "python:3.12", refuse: ["NUL"], setup: (v, c) => void (c.lock.image = v) },
  { where: "lock", key: "command[0]", base: "python3", refuse: ["NUL"], setup: (v, c) => void (c.lock.command = [v, "app.py"]) },
  {
    where: "lock",
    key: "skipped[0].path",
    base: "/root/.cache/pip",
    refuse: ["NUL"],
    setup: (v, c) => void (c.lock.skipped = [{ path: v, reason: "noise" }]),
  },
  ...(["config", "flag"] as const).flatMap((where): Field[] => {
    const k = (key: string, flag: string) => (where === "config" ? `dockerfile.${key}` : flag);
    const set = (key: string, flag: string, value: string | string[], c: CaseSetup) => {
      if (where === "config") (c.config.dockerfile ??= {})[key] = value;
      else c.args.push(...(Array.isArray(value) ? value.flatMap((v) => [flag, v]) : [flag, value]));
    };
    const inProject = where === "config" ? ["absolute"] : [];
    return [
      { where, key: k("base", "--base"), base: busyboxImage, refuse: ALL, setup: (v, c) => set("base", "--base", v, c) },
      { where, key: k("handler", "--handler"), base: "app.handler", refuse: ALL, setup: (v, c) => set("handler", "--handler", v, c) },
      {
        where,
        key: k("assetImage", "--asset-image"),
        base: ASSETS,
        refuse: ALL,
        setup: (v, c) => {
          c.args = c.args.filter((a, i, all) => a !== "--asset-image" && all[i - 1] !== "--asset-image");
          set("assetImage", "--asset-image", v, c);
        },
      },
      {
        where,
        key: k("requirements", "--requirements"),
        base: "requirements.txt",
        refuse: [...PATHS, "absolute", "long"],
        setup: (v, c) => {
          set("requirements", "--requirements", v, c);
          c.requirements = v;
          if (!v.includes("\u0000") && !v.startsWith("/") && !v.startsWith("../")) c.files[v] = "numpy\n";
        },
      },
      {
        where,
        key: k("copy", "--copy"),
        base: "app.py",
        refuse: [...PATHS, "absolute", "long"],
        setup: (v, c) => {
          set("copy", "--copy", [v], c);
          if (!v.includes("\u0000") && !v.startsWith("/") && !v.startsWith("../")) c.files[v] = "def handler(e, c): pass\n";
        },
      },
      {
        where,
        key: k("cmd", "--cmd"),
        base: "sh -c 'echo hi'",
        refuse: BREAKS,
        setup: (v, c) => {
          c.generic = true;
          set("cmd", "--cmd", v, c);
        },
      },
      {
        where,
        key: k("output", "--output"),
        base: "Dockerfile.out",
        refuse: [...BREAKS, "long", ...(where === "config" ? ["dotdot"] : []), ...inProject],
        setup: (v, c) => {
          // Never write outside the sandbox: an "absolute" or ".." output from the command line goes to a temp dir.
          const value = where === "flag" && (v.startsWith("/") || v.startsWith("../")) ? join(OUTSIDE, "Dockerfile") : v;
          set("output", "-o", value, c);
          c.output = value;
        },
      },
      ...(where === "config"
        ? [
            {
              where,
              key: "bundle.assetRoot",
              base: "/cache",
              refuse: [...PATHS, "absolute", "long"],
              setup: (v: string, c: CaseSetup) => void (c.config.bundle = { assetRoot: v }),
            },
            {
              where,
              key: "bundle.layout",
              base: ".mlpack/oci",
              refuse: [...BREAKS, "dotdot", "absolute", "long"],
              setup: (v: string, c: CaseSetup) => void (c.config.bundle = { layout: v }),
            },
          ]
        : []),
    ];
  }),
];

let OUTSIDE = "";

function baseLock(): CaseSetup["lock"] {
  return {
    schemaVersion: 1,
    runner: "docker",
    image: "python:3.12",
    command: ["python3", "app.py"],
    assetRoot: "/cache",
    assets: [
      {
        id: "nltk",
        library: "nltk",
        source: "/root/nltk_data",
        target: "nltk_data",
        env: { NLTK_DATA: "/cache/nltk_data" },
        files: 1,
        bytes: 4,
        digest: `sha256:${"0".repeat(64)}`,
      },
    ],
    skipped: [],
  };
}

class Sink extends Writable {
  text = "";
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString("utf8");
    done();
  }
}

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function runMain(args: string[], cwd: string): Promise<Outcome> {
  const stdout = new Sink();
  const stderr = new Sink();
  const env = { ...process.env, NO_COLOR: "1", CI: "true" };
  const code = await main(["node", "mlpack", ...args], { cwd, stdout, stderr, env, signal: new AbortController().signal });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

interface Rendered {
  name: string;
  dir: string;
  file: string;
  expected: number;
  env: Record<string, string>;
  cmd: string[];
}

const run = await requireReal("docker");

describe.runIf(run)("hostile values in the lock, mlpack.json and flags (real legacy builder)", () => {
  const work: string[] = [];
  let assetImageId = "";
  const rendered = new Map<string, Rendered>();
  const outcomes: { name: string; outcome: "refused" | "rendered" }[] = [];

  beforeAll(async () => {
    OUTSIDE = await mkdtemp(join(tmpdir(), "mlpack-hostile-out-"));
    work.push(OUTSIDE);
    const ctx = await mkdtemp(join(tmpdir(), "mlpack-hostile-img-"));
    work.push(ctx);
    // A base with a stand-in pip that checks it got exactly `install -r <existing file>`, and an asset image
    // holding every asset root and target that a case may render (they are valid Linux names).
    await writeFile(
      join(ctx, "pip"),
      '#!/bin/sh\n[ "$1" = install ] && [ "$2" = -r ] && [ -f "$3" ] && [ "$4" = --no-cache-dir ] && [ $# -eq 4 ] || { echo "fake pip: $*" >&2; exit 9; }\n',
    );
    await writeFile(join(ctx, "Dockerfile.base"), `FROM ${busyboxImage}\nCOPY pip /usr/bin/pip\nRUN chmod 0755 /usr/bin/pip\n`);
    const roots = ["/cache", ...PAYLOADS.map((p) => p.apply("/cache"))];
    const targets = ["nltk_data", ...PAYLOADS.map((p) => p.apply("nltk_data"))];
    for (const root of roots) {
      for (const target of targets) {
        const dir = join(ctx, "root", root, target);
        if (dir.includes("\u0000") || !dir.startsWith(join(ctx, "root", "cache")) || /[\n\r]/.test(dir) || dir.length > 3000) continue;
        if (target.length > 255 || root.length > 255) continue;
        await mkdir(dir, { recursive: true });
        await writeFile(join(dir, "english"), "the\n");
      }
    }
    await writeFile(join(ctx, "Dockerfile.assets"), `FROM ${busyboxImage}\nCOPY root/ /\n`);
    for (const [file, tag] of [
      ["Dockerfile.base", BASE],
      ["Dockerfile.assets", ASSETS],
    ] as const) {
      const r = await execa("docker", ["build", "--network", "none", "-f", file, "-t", tag, "."], {
        cwd: ctx,
        env: { DOCKER_BUILDKIT: "0" },
        reject: false,
      });
      expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    }
    assetImageId = (await dockerClient().getImage(ASSETS).inspect()).Id;
  }, 300_000);

  afterAll(async () => {
    for (const tag of [BASE, ASSETS, ...[...rendered.values()].map((r) => `mlpack-test/hostile-${RUN}:${r.name}`)]) {
      await execa("docker", ["rmi", "-f", tag], { reject: false });
    }
    for (const dir of work) await rm(dir, { recursive: true, force: true });
  });

  const cases = FIELDS.flatMap((field) =>
    PAYLOADS.map((payload) => ({ field, payload, name: `${field.where} ${field.key} ← ${payload.name}` })),
  );

  it(`each of ${cases.length} cases is refused naming its key, or renders`, async () => {
    for (const [i, { field, payload, name }] of cases.entries()) {
      const c: CaseSetup = {
        lock: baseLock(),
        config: {},
        args: ["--asset-image", assetImageId],
        files: { "app.py": "def handler(e, c): pass\n" },
        generic: false,
      };
      field.setup(payload.apply(field.base), c);
      const dir = await mkdtemp(join(tmpdir(), "mlpack-hostile-"));
      work.push(dir);
      await writeFile(join(dir, "mlpack.lock.json"), JSON.stringify(c.lock));
      if (Object.keys(c.config).length > 0) await writeFile(join(dir, "mlpack.json"), JSON.stringify(c.config));
      for (const [rel, content] of Object.entries(c.files)) {
        await mkdir(join(dir, rel, ".."), { recursive: true }).catch(() => undefined);
        await writeFile(join(dir, rel), content).catch(() => undefined);
      }
      const args = [
        "--json",
        "dockerfile",
        ...(c.generic ? ["--target", "generic"] : []),
        ...(c.generic && !c.args.includes("--base") && !c.config.dockerfile?.base ? ["--base", BASE] : []),
        ...(!c.generic && !c.args.includes("--base") && !c.config.dockerfile?.base ? ["--base", BASE] : []),
        ...c.args,
      ];
      const r = await runMain(args, dir);
      if (r.code !== 0) {
        expect(r.code, `${name}: ${r.stdout}${r.stderr}`).toBe(2);
        const doc = JSON.parse(r.stdout) as { error: { code: string; message: string } };
        expect(doc.error.message, name).toContain(field.key);
        expect(doc.error.code, name).not.toBe("E_UNEXPECTED");
        outcomes.push({ name, outcome: "refused" });
        continue;
      }
      expect(field.refuse, `${name} rendered but must be refused: ${r.stdout.slice(0, 400)}`).not.toContain(payload.name);
      outcomes.push({ name, outcome: "rendered" });
      const doc = JSON.parse(r.stdout) as {
        dockerfile: string;
        env: Record<string, string>;
        copies: unknown[];
        code: string[];
        entrypoint: string[] | null;
        assetImage: unknown;
        lockDigest: string;
      };
      const file = c.output ?? "Dockerfile.hostile";
      if (!c.output) await writeFile(join(dir, file), doc.dockerfile);
      const key = createHash("sha256").update(doc.dockerfile.replaceAll(doc.lockDigest, "<lock>")).digest("hex");
      if (rendered.has(key)) continue;
      const cmd = c.generic
        ? ((c.config.dockerfile?.cmd as string | undefined) ?? c.args[c.args.indexOf("--cmd") + 1]!)
        : c.args.includes("--handler")
          ? c.args[c.args.indexOf("--handler") + 1]!
          : "app.handler";
      rendered.set(key, {
        name: `case${i}`,
        dir,
        file,
        // Asset stage, base, one COPY per asset, ENV, LABEL, requirements (COPY + RUN, plus WORKDIR for
        // generic), code (plus WORKDIR for generic without requirements), ENTRYPOINT for the wrapper (and its
        // RUN), CMD.
        expected:
          2 +
          doc.copies.length +
          (Object.keys(doc.env).length > 0 ? 1 : 0) +
          1 +
          (c.requirements ? 2 : 0) +
          doc.code.length +
          (c.generic && (c.requirements || doc.code.length > 0) ? 1 : 0) +
          (doc.entrypoint ? 2 : 0) +
          1,
        env: doc.env,
        cmd: c.generic ? shellSplit(cmd) : [cmd],
      });
    }
    // The table is not vacuous: both outcomes occur often (each field's must-refuse list is checked above).
    expect(outcomes.filter((o) => o.outcome === "refused").length).toBeGreaterThan(100);
    expect(outcomes.filter((o) => o.outcome === "rendered").length).toBeGreaterThan(20);
  }, 120_000);

  it("every distinct Dockerfile that rendered builds with exactly the expected instructions, ENV and CMD", async () => {
    expect(rendered.size).toBeGreaterThan(10);
    for (const r of rendered.values()) {
      const tag = `mlpack-test/hostile-${RUN}:${r.name}`;
      const built = await execa("docker", ["build", "--network", "none", "-f", r.file, "-t", tag, "."], {
        cwd: r.dir,
        env: { DOCKER_BUILDKIT: "0" },
        reject: false,
      });
      const out = built.stdout + built.stderr;
      expect(built.exitCode, `${r.file} in ${r.dir}:\n${out}`).toBe(0);
      const steps = /^Step 1\/(\d+) : /m.exec(out);
      expect(Number(steps?.[1]), out).toBe(r.expected);
      expect(out).not.toMatch(/^PWNED$/m);
      const info = await dockerClient().getImage(tag).inspect();
      const env = Object.fromEntries(
        (info.Config?.Env ?? []).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]),
      );
      for (const [k, v] of Object.entries(r.env)) expect(env[k], `${r.name} ${k}`).toBe(v);
      expect(info.Config?.Cmd, r.name).toEqual(r.cmd);
    }
  }, 900_000);
});
