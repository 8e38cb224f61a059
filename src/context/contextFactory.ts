/** Lets Model.createContext build a Context without a static import cycle at load time. */
import type { Model } from "../model/Model.js";
import type { Context, ContextParams } from "./Context.js";

export async function createContextFor(model: Model, params: ContextParams): Promise<Context> {
  const { Context } = await import("./Context.js");
  return Context.create(model, params);
}
