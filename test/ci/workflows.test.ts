import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { renderWorkflow, WORKFLOWS } from "../../src/init/index.js";
import { invocationProblems, mlpackInvocations } from "./support.js";

type Json = Record<string, unknown>;
const asRecord = (v: unknown): Json => (typeof v === "object" && v !== null ? (v as Json) : {});
const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** Every shell script of a workflow, in order: GitHub `run:` steps, GitLab before_script/script lines. */
function scripts(provider: "github" | "gitlab", doc: Json): string[] {
  if (provider === "github") {
    return Object.values(asRecord(doc.jobs)).flatMap((job) =>
      asList(asRecord(job).steps).flatMap((step) => asList(asRecord(step).run).map(String)),
    );
  }
  const job = asRecord(doc.mlpack);
  return [...asList(job.before_script), ...asList(job.script)].map(String);
}

const PIPELINE = ["discover", "bundle", "push", "dockerfile", "verify"];

describe.each(["github", "gitlab"] as const)("%s workflow", (provider) => {
  it("parses as YAML and runs discover → bundle → push → dockerfile → docker build → verify", async () => {
    const file = await renderWorkflow(provider, "1.2.3");
    expect(file.path).toBe(WORKFLOWS[provider].path);
    expect(file.content).not.toMatch(/\{\{[A-Z_]+\}\}/);
    // mlpack is not on the npm registry: the pinned install is a tarball the team hosts, never `mlpack@x`.
    expect(file.content).not.toMatch(/mlpack@\d/);
    expect(file.content).toContain("./vendor/mlpack-1.2.3.tgz");
    const doc = asRecord(parse(file.content));
    const calls = scripts(provider, doc).flatMap(mlpackInvocations);
    const order = calls.map((argv) => argv[0]).filter((n, i, all) => all.indexOf(n) === i);
    expect(order).toEqual(PIPELINE);
    expect(calls).toContainEqual(["discover", "--check"]);
    const all = scripts(provider, doc).join("\n");
    expect(all.indexOf("docker build")).toBeGreaterThan(all.indexOf("mlpack dockerfile"));
    expect(all.indexOf("docker build")).toBeLessThan(all.indexOf("mlpack verify"));
  });

  it("names only commands and flags the CLI defines", async () => {
    const doc = asRecord(parse((await renderWorkflow(provider, "1.2.3")).content));
    const calls = scripts(provider, doc).flatMap(mlpackInvocations);
    expect(calls.length).toBeGreaterThanOrEqual(PIPELINE.length);
    expect(calls.flatMap(invocationProblems)).toEqual([]);
  });
});

describe("the install line", () => {
  it("installs MLPACK_PACKAGE, by default the vendored tarball of the version that wrote it", async () => {
    const github = asRecord(parse((await renderWorkflow("github", "1.2.3")).content));
    const steps = Object.values(asRecord(github.jobs)).flatMap((j) => asList(asRecord(j).steps).map(asRecord));
    const install = steps.find((s) => s.name === "Install mlpack");
    expect(install?.run).toBe('npm install --global "$MLPACK_PACKAGE"');
    expect(asRecord(install?.env).MLPACK_PACKAGE).toBe(
      "${{ vars.MLPACK_PACKAGE || './vendor/mlpack-1.2.3.tgz' }}",
    );
    const gitlab = scripts("gitlab", asRecord(parse((await renderWorkflow("gitlab", "1.2.3")).content)));
    expect(gitlab).toContain('npm install --global "${MLPACK_PACKAGE:-./vendor/mlpack-1.2.3.tgz}"');
  });
});

describe("github workflow specifics", () => {
  it("assumes an AWS role through OIDC and caches only staged assets keyed on the lock", async () => {
    const doc = asRecord(parse((await renderWorkflow("github", "1.2.3")).content));
    expect(asRecord(doc.permissions)["id-token"]).toBe("write");
    const steps = Object.values(asRecord(doc.jobs)).flatMap((j) => asList(asRecord(j).steps).map(asRecord));
    const aws = steps.find((s) => String(s.uses).startsWith("aws-actions/configure-aws-credentials@"));
    expect(asRecord(aws?.with)["role-to-assume"]).toMatch(/\$\{\{ vars\.\w+ \}\}/);
    const cache = steps.find((s) => String(s.uses).startsWith("actions/cache@"));
    expect(asRecord(cache?.with).key).toContain("hashFiles('mlpack.lock.json')");
    expect(asRecord(cache?.with).path).toBe(".mlpack/assets/");
    expect(asRecord(cache?.with)["restore-keys"]).toBeUndefined();
  });

  it("the GitLab job gets AWS credentials from its ID token, not stored keys", async () => {
    const content = (await renderWorkflow("gitlab", "1.2.3")).content;
    const job = asRecord(asRecord(parse(content)).mlpack);
    expect(asRecord(asRecord(job.id_tokens).AWS_ID_TOKEN).aud).toBe("sts.amazonaws.com");
    expect(asRecord(job.variables).AWS_WEB_IDENTITY_TOKEN_FILE).toBeTruthy();
    expect(content).not.toMatch(/AWS_SECRET_ACCESS_KEY/);
  });
});

describe("the invocation checker itself", () => {
  it("finds invocations inside $(…) and after && and rejects unknown flags", () => {
    expect(mlpackInvocations('ref="$(mlpack push --json)" && mlpack verify "img:1" --uid 5')).toEqual([
      ["push", "--json"],
      ["verify", "img:1", "--uid", "5"],
    ]);
    expect(mlpackInvocations("npm install --global mlpack@1.2.3")).toEqual([]);
    expect(invocationProblems(["push", "--registy", "x"])).toEqual(["mlpack push: unknown flag --registy"]);
    expect(invocationProblems(["deploy"])).toEqual(['unknown command "mlpack deploy"']);
    expect(invocationProblems(["push", "--no-create-repository", "--json"])).toEqual([]);
  });
});
