/**
 * The test environment contract: where the real parts `.ci/setup.sh` brings up live. Each value comes from
 * its MLPACK_TEST_* variable (exported by /var/tmp/mlpack-ci/env.sh) and defaults to what setup.sh makes,
 * so tests also find them when the env file was not sourced.
 */

export interface TestEnv {
  /** A tiny image from busybox-static with /bin/sh, /tmp (1777) and the Lambda user sbx_user1051 (uid 993). */
  readonly busyboxImage: string;
  /** Debian bookworm with python3 and python3-nltk from the Debian archive. */
  readonly pythonImage: string;
  /** host:port of the plain-HTTP registry without auth. */
  readonly registry: string;
  /** host:port of the TLS registry with htpasswd basic auth. */
  readonly tlsRegistry: string;
  readonly tlsUser: string;
  readonly tlsPassword: string;
  /** PEM file of the TLS registry's self-signed certificate (trust it as the CA). */
  readonly tlsCa: string;
}

export const ENV_DEFAULTS = {
  MLPACK_TEST_BUSYBOX_IMAGE: "mlpack-test/busybox:latest",
  MLPACK_TEST_PYTHON_IMAGE: "mlpack-test/python-nltk:bookworm",
  MLPACK_TEST_REGISTRY: "127.0.0.1:5000",
  MLPACK_TEST_TLS_REGISTRY: "127.0.0.1:5443",
  MLPACK_TEST_TLS_USER: "mlpack",
  MLPACK_TEST_TLS_PASSWORD: "mlpack-test-pw",
  MLPACK_TEST_TLS_CA: "/var/tmp/mlpack-ci/registry-tls/cert.pem",
} as const;

export type TestEnvVar = keyof typeof ENV_DEFAULTS;

function read(env: NodeJS.ProcessEnv, name: TestEnvVar): string {
  const value = env[name];
  return value === undefined || value === "" ? ENV_DEFAULTS[name] : value;
}

export function testEnv(env: NodeJS.ProcessEnv = process.env): TestEnv {
  return {
    busyboxImage: read(env, "MLPACK_TEST_BUSYBOX_IMAGE"),
    pythonImage: read(env, "MLPACK_TEST_PYTHON_IMAGE"),
    registry: read(env, "MLPACK_TEST_REGISTRY"),
    tlsRegistry: read(env, "MLPACK_TEST_TLS_REGISTRY"),
    tlsUser: read(env, "MLPACK_TEST_TLS_USER"),
    tlsPassword: read(env, "MLPACK_TEST_TLS_PASSWORD"),
    tlsCa: read(env, "MLPACK_TEST_TLS_CA"),
  };
}

/** Under CI a missing real part is a failure, never a silent skip. */
export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CI === "true";
}
