import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { dockerConfigPath, dockerCredentials, normalizeHost } from "../../src/registry/docker-config.js";

let dir: string;
let bin: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mlpack-dc-"));
  bin = join(dir, "bin");
  await mkdir(bin);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const writeConfig = (config: unknown) => writeFile(join(dir, "config.json"), JSON.stringify(config));
const env = () => ({ DOCKER_CONFIG: dir, PATH: bin });
const b64 = (s: string) => Buffer.from(s).toString("base64");

/** A fake `docker-credential-<name>` that records the host it was asked for and answers for one host. */
async function fakeHelper(name: string, host: string, username: string, secret: string): Promise<void> {
  const script = `#!/bin/sh
read -r asked
printf '%s' "$asked" > "${dir}/asked-${name}"
if [ "$1" = get ] && [ "$asked" = "${host}" ]; then
  printf '{"ServerURL":"%s","Username":"${username}","Secret":"${secret}"}' "$asked"
  exit 0
fi
echo "credentials not found in native keychain"
exit 1
`;
  await writeFile(join(bin, `docker-credential-${name}`), script);
  await chmod(join(bin, `docker-credential-${name}`), 0o755);
}

describe("docker config credentials", () => {
  it("finds config.json under DOCKER_CONFIG, else ~/.docker", () => {
    expect(dockerConfigPath({ env: { DOCKER_CONFIG: "/x" } })).toBe("/x/config.json");
    expect(dockerConfigPath({ env: {}, homeDir: "/home/u" })).toBe("/home/u/.docker/config.json");
  });

  it("normalizes auths keys the way docker writes them", () => {
    expect(normalizeHost("https://index.docker.io/v1/")).toBe("index.docker.io");
    expect(normalizeHost("docker.io")).toBe("index.docker.io");
    expect(normalizeHost("http://127.0.0.1:5000/")).toBe("127.0.0.1:5000");
    expect(normalizeHost("GHCR.io")).toBe("ghcr.io");
  });

  it("decodes auths[host].auth, username/password and identitytoken", async () => {
    await writeConfig({
      auths: {
        "https://a.example": { auth: b64("alice:pa:ss") },
        "b.example:5000": { username: "bob", password: "pw" },
        "c.example": { identitytoken: "refresh-me" },
        "d.example": {},
      },
    });
    expect(await dockerCredentials("a.example", { env: env() })).toEqual({
      kind: "basic",
      username: "alice",
      password: "pa:ss",
    });
    expect(await dockerCredentials("b.example:5000", { env: env() })).toEqual({
      kind: "basic",
      username: "bob",
      password: "pw",
    });
    expect(await dockerCredentials("c.example", { env: env() })).toMatchObject({
      kind: "identity-token",
      token: "refresh-me",
    });
    expect(await dockerCredentials("d.example", { env: env() })).toBeUndefined();
    expect(await dockerCredentials("unknown.example", { env: env() })).toBeUndefined();
  });

  it("is anonymous when there is no config file", async () => {
    expect(await dockerCredentials("a.example", { env: env() })).toBeUndefined();
  });

  it("uses credHelpers[host] with the host on stdin", async () => {
    await fakeHelper("fake", "reg.example", "helper-user", "helper-secret");
    await writeConfig({
      credHelpers: { "reg.example": "fake" },
      auths: { "reg.example": { auth: b64("x:y") } },
    });
    expect(await dockerCredentials("reg.example", { env: env() })).toEqual({
      kind: "basic",
      username: "helper-user",
      password: "helper-secret",
    });
    expect(await readFile(join(dir, "asked-fake"), "utf8")).toBe("reg.example");
  });

  it("uses credsStore for any host, maps <token> to an identity token, and falls back to auths", async () => {
    await fakeHelper("store", "tok.example", "<token>", "id-token-1");
    await writeConfig({ credsStore: "store", auths: { "other.example": { auth: b64("o:p") } } });
    expect(await dockerCredentials("tok.example", { env: env() })).toEqual({
      kind: "identity-token",
      token: "id-token-1",
    });
    // The store has nothing for this host: the inline entry still counts.
    expect(await dockerCredentials("other.example", { env: env() })).toEqual({
      kind: "basic",
      username: "o",
      password: "p",
    });
  });

  it("skips a helper whose binary is missing", async () => {
    await writeConfig({ credsStore: "desktop", auths: { "x.example": { auth: b64("u:v") } } });
    expect(await dockerCredentials("x.example", { env: env() })).toMatchObject({ username: "u" });
  });

  it("reports a broken config file without echoing its content", async () => {
    await writeFile(join(dir, "config.json"), '{"auths": {"x": {"auth": "c2VjcmV0OnB3"}');
    const err = await dockerCredentials("x", { env: env() }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "E_CONFIG" });
    expect(String((err as Error).message)).not.toContain("c2VjcmV0OnB3");
  });
});
