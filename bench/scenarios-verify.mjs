// `mlpack verify` on the python test base against a plain `docker run` with the same flags (issue 14: target
// ≤ 1.5×). The two are interleaved run by run so that load from other work on the machine hits both alike.
// Rows come back summarized (no MiB/s: verify moves no asset bytes), the ratio and the target in the note.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MLPACK, mustRun } from "./measure.mjs";
import { summarize } from "./report.mjs";

const PYTHON = process.env.MLPACK_TEST_PYTHON_IMAGE ?? "mlpack-test/python-nltk:bookworm";
const TARGET = 1.5;
const log = (m) => process.stderr.write(`[bench] ${m}\n`);
const COMMAND = ["python3", "-c", "import nltk; print('ok')"];

/** What verify does, spelled as `docker run` flags (src/verify/plan.ts). */
const DOCKER_RUN = [
  "docker",
  "run",
  "--rm",
  "--label",
  "mlpack-bench=1",
  "--read-only",
  "--network",
  "none",
  "--ipc",
  "none",
  "--tmpfs",
  "/tmp:rw,nosuid,nodev,size=512m,mode=1777",
  "--user",
  "993:993",
  "--cap-drop",
  "ALL",
  "--security-opt",
  "no-new-privileges",
  ...["AWS_LAMBDA_FUNCTION_NAME=mlpack-verify", "AWS_REGION=us-east-1", "TZ=:UTC", "LAMBDA_TASK_ROOT=/var/task"].flatMap(
    (e) => ["-e", e],
  ),
  "--entrypoint",
  COMMAND[0],
  PYTHON,
  ...COMMAND.slice(1),
];

export async function scenarioVerify(runs) {
  // An empty project: verify without a lock, as on a machine that only has the final image.
  const dir = await mkdtemp(join(tmpdir(), "mlpack-bench-verify-"));
  const verify = () => mustRun([MLPACK, "-C", dir, "--json", "--no-progress", "verify", PYTHON, "--", ...COMMAND]);
  const plain = () => mustRun(DOCKER_RUN);
  try {
    await verify(); // warm-up: page cache and the engine's image metadata
    await plain();
    const a = [];
    const b = [];
    for (let i = 0; i < runs; i++) {
      a.push(await verify());
      b.push(await plain());
      log(`verify #${i + 1}: ${a[i].seconds.toFixed(2)} s; docker run: ${b[i].seconds.toFixed(2)} s`);
    }
    const rowA = summarize({ id: "verify-python", label: `mlpack verify ${PYTHON} -- python3 -c 'import …'`, runs: a, throughput: false }, 0);
    const rowB = summarize({ id: "docker-run-verify", label: "docker run with verify's flags (read-only, no network, no /dev/shm, uid 993)", runs: b, throughput: false }, 0);
    const ratio = rowA.seconds.median / rowB.seconds.median;
    rowA.note = `${ratio.toFixed(2)}× docker run (+${(rowA.seconds.median - rowB.seconds.median).toFixed(2)} s); target ≤ ${TARGET}×: ${ratio <= TARGET ? "PASS" : "FAIL"}`;
    return [rowA, rowB];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
