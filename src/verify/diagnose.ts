/**
 * Reads a failed (or suspicious) run's output and names what went wrong in Lambda's terms: something tried
 * to write outside /tmp, something tried to reach the network, or a file the code wanted is not there.
 * Pure: the output text in, findings out.
 */
export type FindingKind =
  | "write"
  | "network"
  | "missing-path"
  | "missing-asset"
  | "missing-env"
  | "wrong-env"
  | "changed"
  | "command";

export interface Finding {
  kind: FindingKind;
  /** Failures fail verify; warnings are reported alongside a passing run. */
  severity: "error" | "warning";
  message: string;
  path?: string;
  variable?: string;
  asset?: string;
}

export interface OutputScan {
  writes: { path?: string; line: string }[];
  network: { target?: string; line: string }[];
  missing: { path?: string; line: string }[];
  /** Every absolute path the output mentions (quoted or bare), in order of appearance. */
  paths: string[];
}

const WRITE = /Read-only file system|EROFS|Permission denied|EACCES|PermissionError/i;
const NETWORK =
  /Network is unreachable|Temporary failure in name resolution|Name or service not known|getaddrinfo|urlopen error|<urlopen|Failed to establish a new connection|Max retries exceeded|Could not resolve host|bad address|ENETUNREACH|EAI_AGAIN|ConnectionError|OfflineModeIsEnabled|couldn't connect to/i;
const MISSING =
  /No such file or directory|FileNotFoundError|ENOENT|Resource \S+ not found|LocalEntryNotFoundError|cannot find the requested files|does not exist/i;

const QUOTED_PATH = /['"‘“](\/[^'"’”\n]*)['"’”]/g;
const BARE_PATH = /(?:^|[\s=(,:[])(\/[A-Za-z0-9._@%+~\-/]+)/g;
const URL = /https?:\/\/[^\s'",)>\]]+/;
const HOST = /host=['"]([^'"]+)['"]/;

/** Absolute paths in one line: quoted ones first (they are the exact path), then bare tokens. */
export function pathsIn(line: string): string[] {
  const quoted = [...line.matchAll(QUOTED_PATH)].map((m) => m[1]!);
  const bare = [...line.matchAll(BARE_PATH)].map((m) => m[1]!.replace(/[.:]+$/, ""));
  return [...new Set([...quoted, ...bare])].filter((p) => p.length > 1);
}

export function scanOutput(output: string): OutputScan {
  const scan: OutputScan = { writes: [], network: [], missing: [], paths: [] };
  const seen = new Set<string>();
  for (const raw of output.split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    const paths = pathsIn(line);
    for (const p of paths) {
      if (!seen.has(p)) {
        seen.add(p);
        scan.paths.push(p);
      }
    }
    if (WRITE.test(line)) scan.writes.push({ ...(paths[0] ? { path: paths[0] } : {}), line });
    if (NETWORK.test(line)) {
      const target = URL.exec(line)?.[0] ?? HOST.exec(line)?.[1];
      scan.network.push({ ...(target ? { target } : {}), line });
    }
    if (MISSING.test(line)) scan.missing.push({ ...(paths[0] ? { path: paths[0] } : {}), line });
  }
  return scan;
}

/** Turns a scan into findings, one per distinct path or target, at the given severity. */
export function outputFindings(scan: OutputScan, severity: Finding["severity"]): Finding[] {
  const findings: Finding[] = [];
  const keys = new Set<string>();
  const add = (key: string, finding: Finding) => {
    if (keys.has(key)) return;
    keys.add(key);
    findings.push(finding);
  };
  for (const w of scan.writes) {
    add(`w:${w.path ?? w.line}`, {
      kind: "write",
      severity,
      message: w.path
        ? `tried to write ${w.path} (read-only outside /tmp): ${w.line}`
        : `tried to write outside /tmp: ${w.line}`,
      ...(w.path ? { path: w.path } : {}),
    });
  }
  for (const n of scan.network) {
    add(`n:${n.target ?? n.line}`, {
      kind: "network",
      severity,
      message: n.target
        ? `tried to reach the network (${n.target}): ${n.line}`
        : `tried to reach the network: ${n.line}`,
    });
  }
  return findings;
}

/** Container diff entries that are the engine's doing (mounts verify itself made), not the code's. */
const ENGINE_PATHS = [
  "/tmp",
  "/etc/hosts",
  "/etc/hostname",
  "/etc/resolv.conf",
  "/dev",
  "/proc",
  "/sys",
  "/etc",
  "/run",
];

/** `docker diff` entries the command caused; with a read-only root these are rare but always reportable. */
export function changedFindings(changes: readonly { Path: string; Kind: number }[]): Finding[] {
  const kinds = ["changed", "added", "deleted"];
  return changes
    .filter((c) => !ENGINE_PATHS.some((p) => c.Path === p || (p !== "/etc" && c.Path.startsWith(`${p}/`))))
    .map((c) => ({
      kind: "changed" as const,
      severity: "error" as const,
      message: `${kinds[c.Kind] ?? "changed"} ${c.Path} outside /tmp`,
      path: c.Path,
    }));
}
