export { demuxLogs, runToCompletion } from "./container-run.js";
export { type Finding, type FindingKind, scanOutput } from "./diagnose.js";
export { checkAgainstLock } from "./lock-check.js";
export { handlerImportScript, MANAGED_LABEL, planVerify } from "./plan.js";
export { type VerifyOptions, type VerifyResult, verifyImage } from "./verify.js";
