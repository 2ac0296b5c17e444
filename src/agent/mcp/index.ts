// Public surface of the MCP layer: contract types, config, validation, sandbox, policy, audit, and the
// client manager. Other areas import from here rather than from the individual modules.
export type * from './types.js';
export * from './config.js';
export * from './validator.js';
export * from './sandbox.js';
export * from './policy.js';
export * from './server-env.js';
export { REDACTED, SENSITIVE_KEY_RE, redact, redactString, type RedactOptions } from './redact.js';
export {
  McpManager,
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  type McpManagerOptions,
  type McpManagerEvent,
  type ManagerCallOptions,
} from './manager.js';
export {
  ServerConnection,
  ServerUnavailableError,
  ConnectTimeoutError,
  listAllTools,
  MAX_TOOL_PAGES,
  type ManagedServerStatus,
  type ConnectionEvent,
  type ServerConnectionOptions,
  type CallProgress,
} from './client.js';
export {
  connectServer,
  describeTransportError,
  FallbackFailedError,
  TransportConfigError,
  type ConnectSpec,
  type StdioSpec,
  type RemoteSpec,
} from './transports.js';
export { assignQualifiedNames, sanitizeNamePart, splitQualifiedName, MAX_TOOL_NAME_LENGTH, type ToolRef } from './tool-names.js';
export { ServerStderrLog, serverLogPath } from './stderr-log.js';
export { RestartTracker, restartDelay, DEFAULT_RESTART_POLICY, type RestartPolicy } from './restart.js';
export { contentToText } from './outcome.js';
export { startMcpFromConfig, loadConfiguredMcp, type StartMcpOptions, type LoadedMcp } from './runtime.js';
export {
  AuditLog,
  AuditDbError,
  MemoryAuditLog,
  recordSecurityBypass,
  type AuditEntry,
  type AuditQuery,
  type AuditRow,
  type AuditSink,
} from '../audit/index.js';
export { McpHost, SAMPLING_REFUSED_CODE, type McpHostOptions } from './host.js';
export { RootsRegistry, RootPathError, rootFor } from './roots.js';
export {
  declineElicitations,
  formFields,
  parseFieldInput,
  checkField,
  validateFormContent,
  type ElicitationHandler,
  type ElicitationRequest,
  type ElicitationAnswer,
  type FormField,
  type FieldValue,
} from './elicitation.js';
export { loginCommand, loginSummary, serversNeedingLogin } from './login-state.js';
export { modelSampler, samplingPromptPreview, DEFAULT_SAMPLING_MAX_TOKENS, type Sampler, type SamplingApprover, type SamplingApprovalRequest } from './sampling.js';
export { McpStepError, NeedsLoginError, networkCause, type McpStep } from './errors.js';
export { VmlxOAuthProvider } from './oauth/provider.js';
export { TokenStore, TokenStoreError, defaultTokenStorePath } from './oauth/token-store.js';
export { loginToServer, LoginError } from './oauth/login.js';
