/**
 * Early stopping: return `false` from the callback to stop, as soon as you have enough.
 * Run: node --import tsx examples/early-stopping.ts
 */
import { Context, Model, defaultModelPath, type TokenEvent } from "../src/index.ts";

await using model = await Model.load(defaultModelPath);
await using context = await Context.create(model, { threads: 1 });

// Stop on a token budget, or on specific content.
let response = "";
function onToken(token: string, event: TokenEvent): boolean {
  process.stdout.write(token);
  response += token;
  // Stop after 30 tokens (event.tokenCount counts them for us).
  if (event.tokenCount >= 30) return false;
  // Look in the text so far, not in the piece: " Babylon" arrives as " B", "ab", "y", "l", "on".
  if (response.includes("Babylon")) return false;
  return true; // continue
}
// Greedy (temperature 0) so this demo stops the same way every run.
const stopped = await context.generateStreaming("And God said", 200, onToken, { temperature: 0 });
console.log(`\n-> stopped by ${stopped.stopReason} after ${stopped.tokenCount} tokens\n`);

// For fixed strings, `stop` is exact: the stop string is never emitted, even split across tokens.
const exact = await context.generate("And God said", { maxTokens: 200, temperature: 0, stop: ["Babylon"] });
console.log(`${JSON.stringify(exact.text)} -> stopped by ${exact.stopReason} (${JSON.stringify(exact.stopString)})\n`);

// With an iterator, `break` is the same stop.
const stream = context.stream("In the beginning", { maxTokens: 200 });
for await (const event of stream) {
  process.stdout.write(event.text);
  if (event.tokenCount >= 10) break;
}
console.log(`\n-> stopped by ${(await stream.result).stopReason}`);
