/** Shared set-up for model tests: the bundled demo model, one thread (the machine has 2 cores). */
import { Context, Model, defaultModelPath, type ContextParams } from "../../src/index.ts";

export async function loadDemo(params: ContextParams = {}): Promise<{ model: Model; context: Context }> {
  const model = await Model.load(defaultModelPath);
  const context = await Context.create(model, { threads: 1, ...params });
  return { model, context };
}

export const greedy = { temperature: 0 } as const;

/** Collects every event of an async iterable. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}
