/** mullama's public surface: an explicit list, nothing else is API. */
export { Model } from "./model/Model.js";
export type { ModelParams, ModelMetadata } from "./model/Model.js";
export { probeModelFile } from "./engine/probe/probeModelFile.js";
export type { ProbeOptions, ProbeVerdict } from "./engine/probe/probeModelFile.js";
export { ModelStore } from "./store/ModelStore.js";
export type { StoredModel, StoredModelFile } from "./store/storedModel.js";
export type { PullOptions } from "./pull/pullModel.js";
export type { PullProgress } from "./pull/pullProgress.js";
export { EmbeddingContext } from "./embedding/EmbeddingContext.js";
export type { EmbeddingContextParams, EmbeddingInput, EmbedOptions } from "./embedding/EmbeddingContext.js";
export { Context } from "./context/Context.js";
export type { ContextParams, GenerateOptions } from "./context/Context.js";
export type { TokenCallback } from "./context/tokenCallback.js";
export { RemoteContext } from "./remote/RemoteContext.js";
export type { ConnectOptions } from "./remote/RemoteContext.js";
export type { RetryOptions } from "./remote/retryPolicy.js";
export type { GenerationOptions } from "./generation/options.js";
export { generationDefaults } from "./generation/options.js";
export type { GenerationResult, GenerationTimings, StopReason, TokenAlternative, TokenEvent, TokenLogprob, ToolCall } from "./generation/events.js";
export type { StreamPart, ContentPart, TextPart, ReasoningPart, ToolCallStartPart, ToolCallDeltaPart, ToolCallPart, FinalPart, FinishPart, ErrorPart, StreamObserver } from "./generation/parts.js";
export type { ChatMessage, ChatOptions, ChatTool, ToolChoice } from "./chat/chatOptions.js";
export { ChatPromptRenderer } from "./model/chatPrompt.js";
export { TokenStream } from "./streaming/TokenStream.js";
export { formatServerSentEvent, formatServerSentComment, tokenStreamToServerSentEvents, tokenStreamToServerSentEventStream } from "./streaming/sse.js";
export type { ServerSentEvent } from "./streaming/sse.js";
export { tokenStreamToWebSocketMessages } from "./streaming/websocketMessages.js";
export type { ServerMessage } from "./streaming/websocketMessages.js";
export { Channel, pipeToChannel, defaultChannelCapacity } from "./streaming/channel.js";
export type { DeliveryOutcome, PipeToChannelOptions } from "./streaming/channel.js";
export { sendStreamToPort, sendErrorToPort } from "./streaming/workerBridgeSender.js";
export type { PortSource } from "./streaming/workerBridgeSender.js";
export { receiveStreamFromPort, PortStream, defaultStreamWindow } from "./streaming/workerBridgeReceiver.js";
export type { ReceiveStreamOptions } from "./streaming/workerBridgeReceiver.js";
export { bufferByCount, bufferByTime, bufferByWord } from "./streaming/buffering.js";
export type { TokenGroup, BufferByWordOptions } from "./streaming/buffering.js";
export { ProgressTracker, trackProgress, withProgress, defaultProgressInterval } from "./streaming/progress.js";
export type { ProgressReport, ProgressOptions } from "./streaming/progress.js";
export { summarize } from "./streaming/usage.js";
export type { GenerationSummary, FinishSummary } from "./streaming/usage.js";
export { defaultModelPath } from "./model/defaultModel.js";
export { createServer, serverDefaults } from "./server/index.js";
export type { MullamaServer, ServerAddress, ServerOptions, ServerLoggerOptions, ServerPhase } from "./server/index.js";
export { defaultThreadCount } from "./engine/threads.js";
export type { ThreadSetting } from "./engine/threads.js";
export type { GpuBackend } from "./engine/llama.js";
export {
  MullamaError,
  ModelLoadError,
  ContextError,
  TokenizationError,
  GenerationError,
  ContextOverflowError,
  InvalidArgumentError,
  SequenceUnavailableError,
  DisposedError,
  ChannelClosedError,
  PullError,
  AbortedError,
  ModelNotFoundError,
  RequestError,
  RemoteEngineError,
  RemoteAuthenticationError,
  RemoteModelNotFoundError,
  RemoteBusyError,
  RemoteRequestError,
  RemoteServerError,
  RemoteConnectionError,
  RemoteProtocolError,
  EngineBuildError,
} from "./errors.js";
export type { MullamaErrorCode, ServerErrorCode, RemoteErrorCode, PullFailure } from "./errors.js";
export { toErrorInfo } from "./errorPolicy.js";
export type { ErrorInfo } from "./errorPolicy.js";
