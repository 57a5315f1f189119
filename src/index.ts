/**
 * Warden: Erlang/OTP-grade fault tolerance for AI agents. The root entry (`warden`) exports the
 * public surface of every layer, each name listed; each layer is also importable on its own
 * (`warden/runtime`, `warden/store`, ...) under the same names.
 *
 * Names, not `export *`: with `export *`, a name two layers export would silently vanish from
 * here, and the root would change whenever a layer did. test/exports.test.ts snapshots what every
 * entry exports and checks that this file lists each layer's whole surface, so a change to the
 * public API is always a deliberate one.
 *
 * `warden/testing` stays on its own subpath: what it has today (`VirtualClock`, `settle`,
 * `seededRandom`, `Random`) is the runtime's and comes in here with it, and test support it may
 * grow belongs to tests, not to the root. Plumbing that layers share inside Warden lives in their
 * `internal.ts` modules, which no entry exports.
 *
 * The runtime comes first, so that an unsupported Node.js is named before anything else loads.
 */

// runtime: processes, messages, links, monitors, servers, the clock and the event stream
export {
  MINIMUM_NODE_VERSION, Runtime, HANDLER_BUDGET, DEFAULT_CALL_TIMEOUT_MS, isPid, RealClock,
  realClock, sleepOn, VirtualClock, settle, EventBus, disposable, WardenError, isWardenError,
  InvalidSpecError, CallTimeoutError, CallTargetExitedError, MailboxFullError, ProcessExitedError,
  NameTakenError, NameNotRegisteredError, Crash, isNormalExit, isShutdownTuple, sameReason,
  reasonToJSON, formatReason, showValue, SystemMessage, ExitMessage, DownMessage, CallRequest,
  CastMessage, StopRequest, SoftStopRequest, isSoftStopRequest, isExit, isDown, isCall, isCast,
  isStopRequest, MAILBOX_DEFAULTS, startLink, IGNORE, startServer, stopServer, reply, noreply, stop,
  Reply, NoReply, Stop, seededRandom, systemRandom, FencedError, UNFENCED,
} from './runtime/index.ts';
export type {
  RuntimeOptions, ProcessInfo, ProcessContext, ProcessBody, Dest, SpawnOptions, ReceiveOptions,
  CallOptions, SendWaitOptions, Pid, Clock, Timer, QuiescenceSource, WardenEventMap, WardenEvent,
  WardenEventType, WardenEventInput, Listener, Disposable, WardenErrorJSON, WardenErrorOptions,
  WardenErrorMap, WardenErrorCode, WardenErrorOf, Term, ExitReason,
  CallFrom, MailboxOptions, OverflowPolicy, StartResult, StartLinkOptions, Starter, Ignore,
  ServerBehaviour, StartServerOptions, Random, Fence,
} from './runtime/index.ts';

// supervisor: OTP supervisors and the child API
export {
  supervisor, startSupervisor, SupervisorStartError, worker, workerWithInit, server, startChild,
  terminateChild, restartChild, deleteChild, whichChildren, countChildren, getChildSpec,
  stopSupervisor, inspectTree, SUPERVISOR_DEFAULTS, CHILD_DEFAULTS, STRATEGIES, RESTART_TYPES,
  AUTO_SHUTDOWNS, resolveSupervisorSpec, resolveChildSpec, RestartIntensity,
} from './supervisor/index.ts';
export type {
  SupervisorStart, SupervisorSource, SupervisorOptions, WorkerWithInitOptions, Caller,
  SupervisorCallOptions, TreeNode, Strategy, RestartType, Shutdown, AutoShutdown, ChildType,
  ChildStart, ChildSpec, ChildTemplate, RestartBackoff, SupervisorSpec, ResolvedChildSpec,
  ResolvedSupervisorSpec, StartChildResult, ChildOpResult, ChildOpError, RestartChildResult,
  ChildInfo, ChildCounts, GetChildSpecResult, SupervisorChildEvent,
} from './supervisor/index.ts';

// isolation: remote children (in a thread or a child process), watchdogs
export {
  moduleUrl, thread, startThread, childProcess, startChildProcess, withWatchdog, armWatchdog,
  WATCHDOG_DEFAULTS, UnserializableMessageError, RemoteWardenError, encodeError, decodeError,
  watchEventLoop,
} from './isolation/index.ts';
export type {
  ThreadOptions, ProcessOptions, RemoteChildOptions, WatchdogOptions, EventLoopWatchOptions,
} from './isolation/index.ts';

// resilience: retry, timeout, breaker, budgets, rate control, fallback, quarantine, locks
export {
  wrap, WrappedPolicy, NEVER_ABORTED, formatPath, issuesToErrors, parseWith, classifyFailure,
  retryAfterFromHeaders, readHeader, ensureOk, HttpStatusError, TRANSIENT_STATUSES, TRANSIENT_CODES,
  backoffCap, fullJitterDelay, Retry, RETRY_DEFAULTS, Timeout, TimeoutError, TIMEOUT_DEFAULTS,
  CircuitBreaker, BrokenCircuitError, BREAKER_DEFAULTS, RATE_TRIP_DEFAULTS, Budget, Reservation,
  BudgetExceededError, BudgetConfigError, BUDGET_DEFAULTS, costUsd, totalTokens, definePricing,
  UnpricedModelError, RateLimitedError, Semaphore, SEMAPHORE_DEFAULTS, TokenBucket,
  TOKEN_BUCKET_DEFAULTS, ProviderLimiter, PROVIDER_LIMITER_DEFAULTS, Fallback,
  FallbackExhaustedError, FALLBACK_DEFAULTS, DegradationLadder, LADDER_DEFAULTS, InProcessResultCache,
  IN_PROCESS_RESULT_CACHE_DEFAULTS, canonicalJson, stableHash, Quarantine, QuarantinedError,
  InProcessQuarantineStore, QUARANTINE_DEFAULTS, SpawnGuard, SpawnConflictError, InProcessSpawnKeyStore,
  SPAWN_GUARD_DEFAULTS, ResourceManager, DeadlockDetectedError, ResourceTimeoutError,
  RESOURCE_MANAGER_DEFAULTS,
} from './resilience/index.ts';
export type {
  Policy, PolicyContext, Work, WiringOptions, FailureClass, ResponseLike, BackoffOptions,
  RetryOptions, RetryTunables, RetryContext, RetryGiveUpReason, TimeoutOptions, TimeoutTunables,
  TimeoutStrategy, BreakerOptions, BreakerTunables, BreakerState, BreakerStateKind, BreakerSnapshot,
  IsolationHandle, TripSpecInput, TripSpec, ConsecutiveTrip, RateTrip, TripSnapshot, BudgetOptions,
  BudgetTunables, BudgetLimits, BudgetUnit, Spend, BreakerSharing, SharedBreakerLink, BudgetLedger,
  LedgerAmounts, LedgerReservation, LedgerRefusal, PricingTable, ModelPrice, TokenUsage,
  RateLimitReason, LimiterKind, SemaphoreOptions, SemaphoreTunables, Permit, TokenBucketOptions,
  TokenBucketTunables, ProviderLimiterOptions, ProviderLimits, FallbackOptions, FallbackTunables,
  FallbackResult, Candidate, LadderOptions, LadderTunables, DegradedResult, DegradationLevel,
  ResultCache, CachedValue, QuarantineOptions, QuarantineTunables, QuarantineRecord,
  QuarantineStore, SpawnGuardOptions, SpawnGuardTunables, SpawnKeyStore, OnConflict,
  ResourceManagerOptions, ResourceManagerTunables, ResourceSpec, ResourceLease, WaitLink,
} from './resilience/index.ts';

// store: persistence for durable runs
export {
  openStore, storeLocation, isPostgresUrl, openSqliteStore, checkSqliteFile, DEFAULT_SQLITE_PATH,
  openPostgresStore, SCHEMA_VERSION, SchemaTooNewError, StoreCorruptError, StoreUnavailableError,
  JournalConflictError, redactUrl, RUN_STATUSES, DEAD_LETTER_STATUSES, APPROVAL_STATUSES,
  resolveStoreLocation, InvalidStoreLocationError, StoreFullError, UnreadableRowError,
} from './store/index.ts';
export type {
  OpenStoreOptions, SqliteStoreOptions, PostgresStoreOptions, Store, StoreInfo, Json, StoredError,
  StoreTarget, StoreLocationOptions,
  RunStatus, RunRequest, RunRecord, NewRun, ClaimRunOptions, ProcessIdentity, RunFilter, RunUpdate, CompactOptions,
  JournalEntry, JournalKind, JournalOutcome, EffectRecord, EffectStatus, DeadLetter,
  DeadLetterStatus, Attempt, Approval, ApprovalStatus, Decision, AuditEntry, KeyLease,
  RunStore, JournalStore, EffectStore, DeadLetterStore, DeadLetterFilter, ApprovalStore, ApprovalFilter,
  AuditStore, AuditFilter, KeyLeaseStore, QuarantineRecordStore,
} from './store/index.ts';

// llm: model clients
export {
  ProviderAdapter, DEFAULT_MAX_OUTPUT_TOKENS, OpenAIAdapter, openaiChat, AnthropicAdapter,
  anthropicMessages, ResilientModelClient, createModelClient, MODEL_CLIENT_DEFAULTS, ModelCallError,
  MalformedResponseError, StreamInterruptedError, StreamStalledError, StructuredOutputError,
  MissingApiKeyError, prepareRequest, toJsonSchema, parseArguments, redact, registerSecret,
  REDACTED, makeUsage, addUsage, ZERO_USAGE, OpenAIResponsesAdapter, openaiResponses, AiSdkAdapter,
  aiSdkModel, asAiSdkModel,
} from './llm/index.ts';
export type {
  JsonSchema, SchemaInput, Message, Role, ToolDefinition, ToolCall, ToolChoice, ResponseFormat,
  ModelRequest, FinishReason, Usage, ModelResponse, QueuedResult, ModelResult, StreamDelta,
  ModelStream, ModelCallOptions, ModelClient, AdapterOptions, AttemptResult, StreamMeta,
  OpenAIAdapterOptions, AnthropicAdapterOptions, ModelClientOptions, StreamFailurePolicy,
  ModelErrorCode, ErrorSummary, PreparedRequest, PreparedTool, OpenAIResponsesAdapterOptions,
  AiSdkAdapterOptions, AiSdkLanguageModel, AsAiSdkModelOptions,
} from './llm/index.ts';

// sim: the simulated model server and the chaos proxy
export {
  startSimServer, SIM_RECORD_DEFAULTS, parseScript, defaultSentence, valueForSchema,
  startChaosProxy, CHAOS_DECISION_DEFAULTS, ChaosPlanner, parseRules,
} from './sim/index.ts';
export type {
  SimServer, SimServerOptions, SimRequestRecord, SimScript, SimRule, SimReply, SimUsage,
  StringMatch, ChaosProxy, ChaosProxyOptions, ChaosTotals, ChaosRule, ChaosFault, ChaosFaultKind,
  ChaosDecision,
} from './sim/index.ts';

// durable: durable runs
export {
  defineRun, DurableHost, DURABLE_HOST_DEFAULTS, outcomeOfRecord, RunContext, requireApproval,
  approvalReason, Approvals, DeadLetterQueue, StoreQuarantineStore, StoreSpawnKeyStore,
  toJournalJson, toStoredError, NonDeterminismError, NotSerializableError, StepFailedError,
  ApprovalDeniedError, RunCancelledError, UnknownRunError, DurableStateError, currentProcess,
  processIdentity, processState, JournalFullError, publishHostSnapshots, HOST_SNAPSHOT_DEFAULTS,
  readHostSnapshots, readHostSamples, lastHostPublish,
} from './durable/index.ts';
export type {
  RunDefinition, RunFunction, DurableHostOptions, DurableHostTunables, RunHandle, RunOutcome,
  RetentionPolicy, RunNote, StepContext, EffectContext, StepOptions, EffectOptions, ReconcileResult,
  ApprovalPolicy, ActionDescriptor, DecisionInput, DeadLetterInput, ProcessState,
  HostSnapshotOptions, HostSnapshotPublisher, HostSnapshotView, HostSample, HostSnapshot,
  SnapshotSources, SnapshotNode, SnapshotTree, SnapshotRestart, SnapshotBreaker, SnapshotBudget,
} from './durable/index.ts';

// memory: the memory server
export {
  openMemoryGraph, openFileGraph, FILE_GRAPH_DEFAULTS, openStoreGraph, STORE_GRAPH_DEFAULTS,
  createMemoryMcpServer, MEMORY_RESOURCE_URI, startMemoryHttp, checkMemoryHttpOptions,
  isLoopbackHost, MEMORY_HTTP_DEFAULTS, MIN_TOKEN_LENGTH, serveMemory, SERVE_MEMORY_DEFAULTS,
  shareWrites, writerAddress, SHARED_WRITER_DEFAULTS, memoryService, memoryServiceBehaviour,
  serviceAccess, MEMORY_SERVICE_MODULE, MEMORY_SERVER_MODULE, SERVICE_ACCESS_DEFAULTS, memoryServer,
  importJsonl, exportJsonl, parseJsonl, toJsonl, MEMORY_TOOLS, MEMORY_TOOL_NAMES, EntitySchema,
  RelationSchema, parseWriteInput, parseReadInput, FILE_LOCK_DEFAULTS, EntityNotFoundError,
  MemoryInputError, MemoryLockTimeoutError, MemoryFileError, MemoryUnavailableError, relationKey,
  MemoryDiskFullError, readRejectedLines,
} from './memory/index.ts';
export type {
  MemoryBackendOptions, OpenMemoryGraphContext, FileGraphOptions, StoreGraphOptions, MemoryAccess,
  MemoryMcpServerOptions, MemoryHttpOptions, MemoryHttpServer, SharedWriterAccess,
  SharedWriterOptions, WriterRole, ServeMemoryOptions, MemoryServerHandle,
  MemoryServerOptions, MemoryServiceRequest, MemoryServiceReply, ServiceAccessOptions,
  ParsedJsonl, MemoryToolName, McpToolDefinition, Entity, Relation, KnowledgeGraph,
  ObservationAddition, AddedObservations, ObservationDeletion, WriteOp, WriteTool, WriteResult,
  WriteResults, ReadOp, ImportSummary, MemoryGraph, MemoryGraphInfo, RejectedLine,
} from './memory/index.ts';

// dashboard: the web dashboard over a store (hono and the page's libraries load when it starts)
export { startDashboard, DASHBOARD_DEFAULTS, MIN_DASHBOARD_TOKEN_LENGTH } from './dashboard/index.ts';
export type { DashboardServer, DashboardOptions, DashboardProviders } from './dashboard/index.ts';

// agent: agents
export {
  defineAgent, checkInput, AGENT_DEFAULTS, COMPACTION_DEFAULTS, SUMMARY_INSTRUCTIONS, tool, isTool,
  ToolFailure, isToolFailure, runAgent, agentChild, defaultRunId, RUN_AGENT_DEFAULTS, reaskMessage,
  taskText, RECALL_TOOL, NotApprovedError, estimateMessageTokens, contextTokens, anchorLength,
  planCompaction, applyCompaction, offloadedBy, stubFor, transcript, SUMMARY_MARK, STUB_MARK,
  readOffloaded, LoopGuard, callKey, showArgs, UnknownToolError, ToolLoopError, MaxStepsError,
  OutputInvalidError, AgentStoppedError, AgentRunError, errorFromStored, guardOf,
  mcpTools, mcpChildren, isMcpToolSet, MCP_TOOLS_DEFAULTS, isToolSource, McpServerStartError,
  McpServerExitedError,
} from './agent/index.ts';
export type {
  Agent, AgentOptions, CompactionOptions, DirectRunOptions, Tool, ToolSpec, ToolContext,
  RunAgentOptions, AgentChildOptions, AgentTask, AgentInput, AgentResult, AgentEnv, LevelCounts,
  ResolvedAgent, ResolvedCompaction, ApprovalRequest, Calibration, CompactionShape, CompactionPlan,
  OffloadedItem, CallKey, AgentGuard, AgentErrorSummary, McpToolSet, McpToolsOptions,
  ResolvedMcpTools, McpEndpoint, McpListedTool, McpCallResult, ToolSource,
} from './agent/index.ts';

// health: L1–L4 health checks, their actions, /healthz and /readyz, MTBF and MTTR
export {
  Health, startHealth, healthChild, startHealthServer, HEALTH_DEFAULTS, HEALTH_PROBE_DEFAULTS,
  QUALITY_MONITOR_DEFAULTS, HEALTH_SERVER_DEFAULTS, READINESS_PROBE_RUN_ID, LevelLadder,
  ladderOverSkips, reliabilityOf, RELIABILITY_EVENT_TYPES, ReliabilityTracker,
} from './health/index.ts';
export type {
  HealthServer, HealthOptions, HealthAction, ReadinessCheck, KnownAnswerProbeOptions,
  QualityMonitorOptions, HealthServerOptions, ProbeTarget, ProbeAnswer, LevelLadderOptions,
  MovableLadder, SkippableLadder, ReliabilityReport, ChildReliability, GroupReliability,
  SupervisorReliability, HealthReport, HealthStatus, HealthLevel, HealthCheckResult,
  HealthLevelResult, ProbeReport, QualityReport, LadderReport, HealthActionRecord, ProbeFailure,
} from './health/index.ts';

// otel: OpenTelemetry traces and metrics from the event stream
export {
  instrument, TraceBridge, TRACER_NAME, MetricsBridge, startTelemetryFromEnv, telemetryRequested,
  servePrometheus, runSpanContext, runSpanId, GEN_AI, WARDEN,
} from './otel/index.ts';
export type {
  InstrumentOptions, TraceBridgeOptions, MetricsBridgeOptions, Telemetry, TelemetryFromEnvOptions,
  PrometheusEndpoint, PrometheusOptions,
} from './otel/index.ts';

// alerts: subagent-count, spend-rate and restart-rate alerts on the event stream; the webhook sink
export {
  AlertGate, ALERT_KINDS, SubagentCountMonitor, SUBAGENT_MONITOR_DEFAULTS, SpendRateMonitor,
  SPEND_RATE_DEFAULTS, RestartRateMonitor, RESTART_RATE_DEFAULTS, WebhookSink, WEBHOOK_SINK_DEFAULTS,
  AlertHistory, SubagentLimitError,
} from './alerts/index.ts';
export type {
  Alert, AlertInput, AlertKind, AlertSeverity, SubagentLimit, SubagentMonitorOptions, SubagentAction,
  SubagentLease, SpendRateOptions, RestartRateOptions, WebhookSinkOptions, AlertHistoryOptions, AlertRecord,
  SubagentMonitorTunables, SpendRateTunables, RestartRateTunables,
} from './alerts/index.ts';

// config: live configuration and feature flags, from a watched JSON file or from code
export {
  HotConfig, watchConfigFile, CONFIG_FILE_DEFAULTS, watchStoredConfig, STORED_CONFIG_DEFAULTS, ConfigFileError,
} from './config/index.ts';
export type {
  HotConfigOptions, ApplyOptions, ConfigChange, Configurable, WatchOptions, DeepPartial, ConfigFileOptions,
  ConfigFileWatcher, StoredConfigOptions, StoredConfigWatcher, StoredConfigValue,
} from './config/index.ts';

// scheduler: durable cron, interval and one-off schedules; one durable run per slot, exactly once
export {
  defineSchedule, SCHEDULE_DEFAULTS, openScheduler, Scheduler, SCHEDULER_DEFAULTS, openSchedules, Schedules,
  schedulerChild, slotRunId, CATCH_UP_POLICIES, OVERLAP_POLICIES, SLOT_STATUSES, MISS_CAUSES,
  ScheduleNotFoundError, SchedulerClosedError,
} from './scheduler/index.ts';
export type {
  ScheduleSpec, TimeInput, SchedulerOptions, SchedulerTunables, TickSummary, SchedulesOptions, SlotFilter,
  ActorOptions, SchedulerChildOptions, Timing, CatchUpPolicy, OverlapPolicy, Schedule, SlotKind, SlotStatus,
  MissCause, SlotInput, SlotRecord, SlotCounts, ScheduleInfo,
} from './scheduler/index.ts';

// cluster: many nodes on one Postgres: membership, shared breakers and budgets, pub/sub across nodes
export { joinCluster, Cluster, CLUSTER_DEFAULTS, ClusterNeedsPostgresError, InProcessPubSub, ClusterPubSub, heldRunsSummary, clusterStatus } from './cluster/index.ts';
export type {
  ClusterOptions, ClusterNode, NodeLiveness, NodeStatus, DeclaredDead, PubSub, Subscriber, MessageInfo, SharedBudgets, SharedSpend,
  ClusterStatus,
} from './cluster/index.ts';
