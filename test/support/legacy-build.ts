import { execa } from "execa";

/**
 * `docker build` with the legacy builder (the only one on the test machine), no network, and the test's label
 * so its afterAll removes the image. Fails with the builder's output.
 */
export async function legacyBuild(dir: string, file: string, tag: string, label: string): Promise<void> {
  const r = await execa("docker", ["build", "--network", "none", "--label", label, "-f", file, "-t", tag, "."], {
    cwd: dir,
    env: { DOCKER_BUILDKIT: "0" },
    reject: false,
  });
  if (r.exitCode !== 0) throw new Error(`docker build -f ${file} failed:\n${r.stdout}\n${r.stderr}`);
}

/** Stand-in for the Lambda base's entrypoint: exactly one argument, the handler, which it calls. */
export const LAMBDA_ENTRYPOINT_STANDIN = `#!/bin/sh
[ $# -eq 1 ] || { echo "lambda-entrypoint: expected exactly one argument, got $#: $*" >&2; exit 64; }
exec python3 -c 'import importlib, sys; sys.path.insert(0, "/var/task"); m, f = sys.argv[1].rsplit(".", 1); print(getattr(importlib.import_module(m), f)({}, None))' "$1"
`;
