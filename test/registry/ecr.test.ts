import {
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
  RepositoryAlreadyExistsException,
  RepositoryNotFoundException,
} from "@aws-sdk/client-ecr";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { RegistryError } from "../../src/errors.js";
import { EcrSession } from "../../src/registry/ecr.js";
import { pushImage } from "../../src/registry/push.js";
import { randomImage, uniqueRepo } from "./support/image.js";
import {
  expectStored,
  PLAIN,
  plainRegistryUp,
  TLS,
  TLS_PASSWORD,
  TLS_USER,
  tlsCa,
  tlsRegistryUp,
} from "./support/registries.js";

const ecr = mockClient(ECRClient);
beforeEach(() => ecr.reset());
afterAll(() => ecr.restore());

const HOUR = 3600_000;
const sdkError = (name: string, message: string) =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });

function tokenFor(
  endpoint: string,
  password = "ecr-secret-pw",
  user = "AWS",
  expiresAt = new Date(Date.now() + 12 * HOUR),
) {
  ecr.on(GetAuthorizationTokenCommand).resolves({
    authorizationData: [
      {
        authorizationToken: Buffer.from(`${user}:${password}`).toString("base64"),
        proxyEndpoint: endpoint,
        expiresAt,
      },
    ],
  });
}

describe("ECR authorization", () => {
  it("decodes AWS:<password> and caches the token until shortly before expiresAt", async () => {
    let now = Date.now();
    tokenFor(
      "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com",
      "pw-1",
      "AWS",
      new Date(now + 12 * HOUR),
    );
    const session = new EcrSession({ region: "eu-west-1", now: () => now });
    const auth = await session.authorization();
    expect(auth.registry).toBe("123456789012.dkr.ecr.eu-west-1.amazonaws.com");
    // The token goes back verbatim as the Basic value, as ECR expects.
    expect(auth.credentials).toEqual({
      kind: "basic",
      username: "AWS",
      password: "pw-1",
      encoded: Buffer.from("AWS:pw-1").toString("base64"),
    });
    await session.authorization();
    now += 11 * HOUR;
    await session.authorization();
    expect(ecr.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(1);
    now += 56 * 60_000; // inside the renewal margin before the 12 h expiry
    await session.authorization();
    expect(ecr.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(2);
  });

  it("gives credentials only to the ECR registry host", async () => {
    tokenFor("https://123456789012.dkr.ecr.eu-west-1.amazonaws.com");
    const provider = new EcrSession({ region: "eu-west-1" }).credentialsProvider();
    expect(await provider.resolve("123456789012.dkr.ecr.eu-west-1.amazonaws.com")).toMatchObject({
      username: "AWS",
    });
    expect(await provider.resolve("evil.example.com")).toBeUndefined();
  });

  it.each([
    [
      "AccessDeniedException",
      "User: arn:aws:iam::1:user/ci is not authorized",
      /ecr:GetAuthorizationToken/,
      "E_REGISTRY_AUTH",
    ],
    [
      "ExpiredTokenException",
      "The security token included in the request is expired",
      /aws sso login/,
      "E_REGISTRY_AUTH",
    ],
    [
      "CredentialsProviderError",
      "Could not load credentials from any providers",
      /AWS_PROFILE/,
      "E_REGISTRY_AUTH",
    ],
    ["ServerException", "boom", /try again/, "E_REGISTRY"],
  ])("maps %s to a clear RegistryError", async (name, message, hint, code) => {
    ecr.on(GetAuthorizationTokenCommand).rejects(sdkError(name, message));
    const err = await new EcrSession({ region: "eu-west-1" }).authorization().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err).toMatchObject({ code, registryCode: name, exitCode: 5 });
    expect((err as RegistryError).hint).toMatch(hint);
  });
});

describe("ECR repositories", () => {
  const notFound = () =>
    new RepositoryNotFoundException({ message: "The repository does not exist", $metadata: {} });

  it("leaves an existing repository alone", async () => {
    ecr.on(DescribeRepositoriesCommand).resolves({ repositories: [{ repositoryName: "assets" }] });
    expect(
      await new EcrSession({ region: "eu-west-1" }).ensureRepository("assets", { createRepository: true }),
    ).toBe("exists");
    expect(ecr.commandCalls(CreateRepositoryCommand)).toHaveLength(0);
  });

  it("creates a missing repository when allowed", async () => {
    ecr.on(DescribeRepositoriesCommand).rejects(notFound());
    ecr.on(CreateRepositoryCommand).resolves({ repository: { repositoryName: "assets" } });
    const steps: string[] = [];
    const session = new EcrSession({ region: "eu-west-1" });
    const outcome = await session.ensureRepository("assets", {
      createRepository: true,
      emit: (e) => e.type === "step" && steps.push(e.message),
    });
    expect(outcome).toBe("created");
    expect(ecr.commandCalls(CreateRepositoryCommand)[0]?.args[0].input).toEqual({ repositoryName: "assets" });
    expect(ecr.commandCalls(DescribeRepositoriesCommand)[0]?.args[0].input).toEqual({
      repositoryNames: ["assets"],
    });
    expect(steps).toEqual(["Created ECR repository assets"]);
  });

  it("treats a concurrent creation as success", async () => {
    ecr.on(DescribeRepositoriesCommand).rejects(notFound());
    ecr
      .on(CreateRepositoryCommand)
      .rejects(new RepositoryAlreadyExistsException({ message: "exists", $metadata: {} }));
    expect(
      await new EcrSession({ region: "eu-west-1" }).ensureRepository("assets", { createRepository: true }),
    ).toBe("exists");
  });

  it("does not create with createRepository=false and says how to fix it", async () => {
    ecr.on(DescribeRepositoriesCommand).rejects(notFound());
    const err = await new EcrSession({ region: "eu-west-1" })
      .ensureRepository("assets", { createRepository: false })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err).toMatchObject({
      code: "E_REPOSITORY_NOT_FOUND",
      registryCode: "RepositoryNotFoundException",
    });
    expect((err as RegistryError).hint).toMatch(/--create-repository/);
    expect((err as RegistryError).hint).toMatch(/ecr:CreateRepository/);
    expect(ecr.commandCalls(CreateRepositoryCommand)).toHaveLength(0);
  });

  it("names the IAM action when creation is denied", async () => {
    ecr.on(DescribeRepositoriesCommand).rejects(notFound());
    ecr.on(CreateRepositoryCommand).rejects(sdkError("AccessDeniedException", "not authorized to perform"));
    const err = await new EcrSession({ region: "eu-west-1" })
      .ensureRepository("assets", { createRepository: true })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "E_REGISTRY_AUTH", registryCode: "AccessDeniedException" });
    expect((err as RegistryError).hint).toMatch(/ecr:CreateRepository on repository assets/);
  });

  it("names ecr:DescribeRepositories when the lookup itself is denied", async () => {
    ecr.on(DescribeRepositoriesCommand).rejects(sdkError("AccessDenied", "nope"));
    const err = await new EcrSession({ region: "eu-west-1" })
      .ensureRepository("assets", { createRepository: true })
      .catch((e: unknown) => e);
    expect((err as RegistryError).hint).toMatch(/ecr:DescribeRepositories/);
  });
});

const plainUp = await plainRegistryUp();
const tlsUp = await tlsRegistryUp();

describe.skipIf(!plainUp)("ECR data plane against a local registry standing in for proxyEndpoint", () => {
  it("pushes to the proxyEndpoint host and reports it in the reference", async () => {
    tokenFor(`http://${PLAIN}`);
    const session = new EcrSession({ region: "eu-west-1" });
    const auth = await session.authorization();
    const image = randomImage([64 * 1024, 512]);
    const repo = uniqueRepo("ecr");
    const result = await pushImage({
      image,
      registry: auth.endpoint,
      repository: repo,
      tag: "v1",
      auth: session.credentialsProvider(),
    });
    expect(result.reference).toBe(`${PLAIN}/${repo}@${image.manifestDigest}`);
    await expectStored(PLAIN, repo, "v1", image);
  });
});

describe.skipIf(!tlsUp)("ECR-style Basic token on the TLS registry", () => {
  it("sends the decoded token back as Basic credentials", async () => {
    tokenFor(`https://${TLS}`, TLS_PASSWORD, TLS_USER);
    const session = new EcrSession({ region: "eu-west-1" });
    const auth = await session.authorization();
    const result = await pushImage({
      image: randomImage([4096]),
      registry: auth.endpoint,
      repository: uniqueRepo("ecr-tls"),
      tag: "v1",
      auth: session.credentialsProvider(),
      ca: tlsCa(),
    });
    expect(result.manifestAction).toBe("put");
  });
});
