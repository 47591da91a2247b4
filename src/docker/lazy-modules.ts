import { createRequire, Module } from "node:module";

/**
 * dockerode loads, at start, its BuildKit session module (`@grpc/grpc-js` + `@grpc/proto-loader`) and, through
 * docker-modem, `ssh2` (for `DOCKER_HOST=ssh://`): ~1.2 s of every command's start on a busy 2-core machine,
 * more than `mlpack verify`'s whole container run. mlpack never opens a BuildKit session, and ssh2 is needed
 * only for an ssh:// engine, so each module is put in the require cache as a stub that loads the real one on
 * first call. docker/client.ts calls stubHeavyDockerodeModules() before it loads dockerode; a layout without
 * these files is left alone.
 */
const fromHere = createRequire(import.meta.url);

function lazy(resolveFrom: NodeJS.Require, request: string): void {
  let path: string;
  try {
    path = resolveFrom.resolve(request);
  } catch {
    return; // Another layout: it loads eagerly, which is only slower.
  }
  if (fromHere.cache[path]) return;
  const stub = new Module(path);
  stub.filename = path;
  stub.loaded = true;
  stub.exports = function lazyExport(...args: unknown[]): unknown {
    delete fromHere.cache[path];
    return (fromHere(path) as (...a: unknown[]) => unknown)(...args);
  };
  fromHere.cache[path] = stub;
}

let stubbed = false;

/** Puts the stubs in place (once); must run before dockerode is first loaded. */
export function stubHeavyDockerodeModules(): void {
  if (stubbed) return;
  stubbed = true;
  lazy(fromHere, "dockerode/lib/session.js");
  try {
    lazy(createRequire(fromHere.resolve("dockerode")), "docker-modem/lib/ssh.js");
  } catch {
    // dockerode not resolvable from here: nothing to make lazy.
  }
}
