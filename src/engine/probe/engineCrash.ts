/**
 * Naming how the engine killed a child process: the signal (or exit code) and the line
 * of its log that says why, which for llama.cpp is a `GGML_ASSERT(...) failed` or
 * `GGML_ABORT` message written to stderr just before it calls abort().
 */

const complaintPattern = /GGML_ASSERT|GGML_ABORT|fatal error|terminate called|Segmentation|out of memory/;

/** The engine's last complaint in a child's log, or its last line. */
export function engineComplaint(log: string): string {
  const lines = log.split("\n").map((line) => line.trim()).filter((line) => line !== "");
  // A log can hold earlier jobs' messages: the last complaint is the one that killed it.
  const complaint = lines.findLast((line) => complaintPattern.test(line)) ?? lines.at(-1) ?? "no message";
  // Build paths ("/home/runner/work/.../llama.cpp/src/llama-vocab.cpp:2539") say nothing to a user.
  return complaint.replace(/\S*\/(llama\.cpp\/)/, "$1").slice(0, 300);
}

/** "SIGABRT" or "exit code 134", then the complaint. */
export function describeCrash(signal: NodeJS.Signals | null, exitCode: number | null, log: string): string {
  return `${signal ?? `exit code ${exitCode}`}: ${engineComplaint(log)}`;
}
