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
  | "volume"
  | "command";

export interface Finding {
  kind: FindingKind;
  /** Failures fail verify; warnings are reported alongside a passing run. */
  severity: "error" | "warning";
  message: string;
  path?: string;
  variable?: string;
  asset?: string;
  /** The host a network attempt tried to reach. */
  host?: string;
  /** What to do about it, when mlpack knows (`--writable <id>` for a write into an asset). */
  suggestion?: string;
}

export interface OutputScan {
  writes: { path?: string; line: string }[];
  network: { target?: string; line: string }[];
  missing: { path?: string; line: string }[];
  /** Every host name the output mentions (URLs included), in order of appearance. */
  hosts: string[];
  /** Every absolute path the output mentions (quoted or bare), in order of appearance. */
  paths: string[];
}

const WRITE = /Read-only file system|EROFS|Permission denied|EACCES|PermissionError|can't create|cannot create/i;
/** Lambda has no /dev/shm: POSIX semaphores and shared memory (multiprocessing.Pool, Queue) fail there. */
const SHM = /\/dev\/shm\b|\[Errno 38\] Function not implemented/;
const NETWORK =
  /Network is unreachable|Temporary failure in name resolution|Name or service not known|getaddrinfo|urlopen error|<urlopen|Failed to establish a new connection|Max retries exceeded|Could not resolve host|bad address|ENETUNREACH|EAI_AGAIN|ENOTFOUND|ConnectionError|NameResolutionError|Failed to resolve|OfflineModeIsEnabled|couldn't connect to/i;
const MISSING =
  /No such file or directory|FileNotFoundError|ENOENT|Resource \S+ not found|LocalEntryNotFoundError|cannot find the requested files|does not exist/i;

const QUOTED_PATH = /['"‘“](\/[^'"’”\n]*)['"’”]/g;
const BARE_PATH = /(?:^|[\s=(,:[])(\/[A-Za-z0-9._@%+~\-/]+)/g;
const URL_HOST = /\b[a-z][a-z0-9+.-]*:\/\/(?:[^\s/@'"]*@)?(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)/g;
/** Where libraries name the host they failed to reach: urllib3, curl, busybox wget, Node, requests. */
const HOST_PATTERNS = [
  /host=['"]([^'"]+)['"]/g,
  /Could not resolve host:? ['"]?([A-Za-z0-9.-]+)/g,
  /bad address ['"]([^'"]+)['"]/g,
  /(?:ENOTFOUND|EAI_AGAIN) ([A-Za-z0-9.-]+)/g,
  /Failed to resolve ['"]([^'"]+)['"]/g,
  /resolve host name ['"]?([A-Za-z0-9.-]+)/g,
];

/** Absolute paths in one line: quoted ones first (they are the exact path), then bare tokens. */
export function pathsIn(line: string): string[] {
  const quoted = [...line.matchAll(QUOTED_PATH)].map((m) => m[1]!);
  // URLs are not paths: `https://host/a/b` would give `//host/a/b`.
  const bare = [...line.replace(URL_HOST, " ").matchAll(BARE_PATH)].map((m) => m[1]!.replace(/[.:]+$/, ""));
  return [...new Set([...quoted, ...bare])].filter((p) => p.length > 1 && !p.startsWith("//"));
}

/** Host names a line mentions: in URLs, or where a library names the host it could not reach. */
export function hostsIn(line: string): string[] {
  const hosts = [...line.matchAll(URL_HOST)].map((m) => m[1]!);
  for (const pattern of HOST_PATTERNS) hosts.push(...[...line.matchAll(pattern)].map((m) => m[1]!));
  return [...new Set(hosts.map((h) => h.toLowerCase().replace(/\.$/, "")))].filter((h) => h !== "");
}

export function scanOutput(output: string): OutputScan {
  const scan: OutputScan = { writes: [], network: [], missing: [], paths: [], hosts: [] };
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
    for (const h of hostsIn(line)) if (!scan.hosts.includes(h)) scan.hosts.push(h);
    if (SHM.test(line)) scan.writes.push({ path: "/dev/shm", line });
    else if (WRITE.test(line)) scan.writes.push({ ...(paths[0] ? { path: paths[0] } : {}), line });
    if (NETWORK.test(line)) {
      const target = hostsIn(line)[0];
      scan.network.push({ ...(target ? { target } : {}), line });
    }
    if (MISSING.test(line)) scan.missing.push({ ...(paths[0] ? { path: paths[0] } : {}), line });
  }
  return scan;
}

/** Paths the output names in write or network lines: a failed write leaves nothing behind, so not "missing". */
export function pathsOfOtherCauses(scan: OutputScan): Set<string> {
  const out = new Set<string>();
  for (const line of [...scan.writes, ...scan.network].map((l) => l.line)) for (const p of pathsIn(line)) out.add(p);
  return out;
}

/**
 * Turns a scan into findings, one per cause: one per path something tried to write, and one per host something
 * tried to reach (a traceback repeats the same failure in five lines). A network failure whose lines name no
 * host is attributed to the hosts in URLs elsewhere in the output ("Downloading https://…"), else reported once.
 */
export function outputFindings(scan: OutputScan, severity: Finding["severity"]): Finding[] {
  const findings: Finding[] = [];
  const writes = scan.writes.some((w) => w.path) ? scan.writes.filter((w) => w.path) : scan.writes.slice(0, 1);
  const written = new Set<string>();
  for (const w of writes) {
    if (w.path && written.has(w.path)) continue;
    if (w.path) written.add(w.path);
    findings.push({
      kind: "write",
      severity,
      message:
        w.path === "/dev/shm"
          ? `tried to use /dev/shm, which Lambda does not have (multiprocessing.Pool and Queue need it; use Process and Pipe): ${w.line}`
          : w.path
            ? `tried to write ${w.path} (read-only outside /tmp): ${w.line}`
            : `tried to write outside /tmp: ${w.line}`,
      ...(w.path ? { path: w.path } : {}),
    });
  }
  if (scan.network.length > 0) {
    const named = [...new Set(scan.network.flatMap((n) => (n.target ? [n.target] : [])))];
    const hosts = named.length > 0 ? named : scan.hosts;
    const lineFor = (host: string) =>
      scan.network.find((n) => n.target === host)?.line ?? scan.network[scan.network.length - 1]!.line;
    for (const host of hosts) {
      findings.push({
        kind: "network",
        severity,
        host,
        message: `tried to reach ${host} (no network, as on Lambda without a route to it): ${lineFor(host)}`,
      });
    }
    if (hosts.length === 0) {
      findings.push({
        kind: "network",
        severity,
        message: `tried to reach the network (no network, as on Lambda without a route to it): ${scan.network[scan.network.length - 1]!.line}`,
      });
    }
  }
  return findings;
}
