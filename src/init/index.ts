export {
  CONFIG_SCHEMA_FILE,
  CONFIG_SCHEMA_REF,
  configurableSettings,
  initialConfig,
  renderConfig,
} from "./config-template.js";
export { type InitFile, type InitOptions, type InitResult, init } from "./init.js";
export {
  type CiProvider,
  fillPlaceholders,
  isCiProvider,
  renderWorkflow,
  WORKFLOWS,
  type WorkflowFile,
} from "./workflow-template.js";
