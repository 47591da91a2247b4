import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A fault-injecting HTTP proxy in front of a real registry. Rules fire a bounded number of times on
 * matching requests: answer a status, drop the connection mid-body, rewrite a status, strip or relativise
 * a header, or redirect to a "storage" host. Optionally it plays a Bearer token server too.
 */

export type Fault =
  | { kind: "status"; status: number; code?: string }
  | { kind: "drop-mid-body"; afterBytes?: number }
  | { kind: "rewrite-status"; from: number; to: number }
  | { kind: "strip-header"; header: string }
  | { kind: "relative-location" }
  | { kind: "redirect"; toOrigin: string }
  /** Forward a mount POST as a plain upload POST: the registry answers 202, as ECR does when it will not mount. */
  | { kind: "decline-mount" };

export interface FaultRule {
  method?: string;
  path?: RegExp;
  /** How many times the rule fires (default 1; Infinity = always). */
  times?: number;
  fault: Fault;
}

export interface BearerOptions {
  username: string;
  password: string;
  allowAnonymous?: boolean;
  /** A token answers this many registry requests, then 401 (forces a refresh). */
  usesPerToken?: number;
}

export interface LoggedRequest {
  method: string;
  url: string;
  authorization?: string;
  contentRange?: string;
  status?: number;
  fault?: Fault["kind"];
}

export interface FaultProxy {
  host: string;
  origin: string;
  log: LoggedRequest[];
  tokenRequests: LoggedRequest[];
  rules: FaultRule[];
  close(): Promise<void>;
}

export async function startFaultProxy(
  upstream: string,
  options: { rules?: FaultRule[]; bearer?: BearerOptions } = {},
): Promise<FaultProxy> {
  const rules = (options.rules ?? []).map((r) => ({ ...r }));
  const log: LoggedRequest[] = [];
  const tokenRequests: LoggedRequest[] = [];
  const tokens = new Map<string, number>();
  const [upHost, upPort] = upstream.split(":");
  let origin = "";

  const take = (req: http.IncomingMessage): Fault | undefined => {
    const rule = rules.find(
      (r) =>
        (r.times ?? 1) > 0 &&
        (!r.method || r.method === req.method) &&
        (!r.path || r.path.test(req.url ?? "")),
    );
    if (!rule) return undefined;
    rule.times = (rule.times ?? 1) - 1;
    return rule.fault;
  };

  const server = http.createServer((req, res) => {
    const entry: LoggedRequest = {
      method: req.method ?? "",
      url: req.url ?? "",
      authorization: req.headers.authorization,
      contentRange: req.headers["content-range"],
    };
    const finish = (status: number, headers: http.OutgoingHttpHeaders = {}, body = "") => {
      entry.status = status;
      req.resume();
      const send = () => res.writeHead(status, headers).end(body);
      if (req.readableEnded) send();
      else req.on("end", send);
    };
    if (options.bearer && req.url?.startsWith("/token")) {
      tokenRequests.push(entry);
      const b = options.bearer;
      const basic = `Basic ${Buffer.from(`${b.username}:${b.password}`).toString("base64")}`;
      const ok = req.headers.authorization === basic || (b.allowAnonymous && !req.headers.authorization);
      if (!ok)
        return finish(401, { "content-type": "application/json" }, errors("UNAUTHORIZED", "bad creds"));
      const token = randomBytes(24).toString("hex");
      tokens.set(token, b.usesPerToken ?? Number.POSITIVE_INFINITY);
      return finish(200, { "content-type": "application/json" }, JSON.stringify({ token, expires_in: 300 }));
    }
    log.push(entry);
    const headers = { ...req.headers };
    if (options.bearer) {
      const token = req.headers.authorization?.replace(/^Bearer /, "") ?? "";
      const left = tokens.get(token) ?? 0;
      if (left <= 0) {
        const challenge = `Bearer realm="${origin}/token",service="fault-proxy",scope="repository:x:pull,push"`;
        return finish(
          401,
          { "www-authenticate": challenge },
          errors("UNAUTHORIZED", "authentication required"),
        );
      }
      tokens.set(token, left - 1);
      delete headers.authorization;
    }
    const fault = take(req);
    entry.fault = fault?.kind;
    if (fault?.kind === "status") {
      return finish(
        fault.status,
        { "content-type": "application/json" },
        errors(fault.code ?? "UNKNOWN", "injected"),
      );
    }
    if (fault?.kind === "redirect") {
      return finish(307, {
        location: `${fault.toOrigin}${req.url}${req.url?.includes("?") ? "&" : "?"}sig=s3cr3t`,
      });
    }
    if (fault?.kind === "drop-mid-body") {
      const limit = fault.afterBytes ?? 64 * 1024;
      let seen = 0;
      req.on("data", (c: Buffer) => {
        seen += c.length;
        if (seen >= limit) req.socket.destroy();
      });
      req.on("end", () => req.socket.destroy());
      return;
    }
    let path = req.url;
    if (fault?.kind === "decline-mount" && path) {
      const u = new URL(path, origin);
      u.searchParams.delete("mount");
      u.searchParams.delete("from");
      path = u.pathname + u.search;
    }
    const up = http.request(
      { host: upHost, port: Number(upPort), method: req.method, path, headers },
      (upRes) => {
        let status = upRes.statusCode ?? 502;
        const out = { ...upRes.headers };
        if (fault?.kind === "rewrite-status" && status === fault.from) status = fault.to;
        if (fault?.kind === "strip-header") delete out[fault.header.toLowerCase()];
        if (fault?.kind === "relative-location" && typeof out.location === "string") {
          const u = new URL(out.location, origin);
          out.location = u.pathname + u.search;
        }
        entry.status = status;
        res.writeHead(status, out);
        upRes.pipe(res);
      },
    );
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;
  return {
    host: `127.0.0.1:${port}`,
    origin,
    log,
    tokenRequests,
    rules,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function errors(code: string, message: string): string {
  return JSON.stringify({ errors: [{ code, message }] });
}

/** A bare "storage" server (another host name) that forwards to upstream and records what it received. */
export async function startStorageServer(upstream: string): Promise<FaultProxy> {
  return startFaultProxy(upstream);
}
