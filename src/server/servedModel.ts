/**
 * The model as the APIs name and describe it: one id (the file name without `.gguf`,
 * unless the server was given a name), the file's size and date, and a digest. The
 * digest identifies the file by path, size and modification time instead of hashing
 * gigabytes of weights at startup.
 */
import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";
import { basename, resolve } from "node:path";
import type { Model } from "../model/Model.js";

export interface ServedModel {
  /** The name clients use in `model` fields. */
  readonly id: string;
  readonly model: Model;
  readonly fileSizeBytes: number;
  readonly modifiedAt: Date;
  /** Hex SHA-256 of the file's identity (path, size, mtime). */
  readonly digest: string;
  /** When the server loaded it. */
  readonly loadedAt: Date;
}

/** The id a file gets when no name is given: `models/kjv-tiny-q8_0.gguf` -> `kjv-tiny-q8_0`. */
export function modelIdFromPath(path: string): string {
  return basename(path).replace(/\.gguf$/i, "") || "model";
}

export async function describeServedModel(model: Model, name: string | undefined): Promise<ServedModel> {
  const path = resolve(model.path);
  const file = await stat(path);
  return {
    id: name ?? modelIdFromPath(path),
    model,
    fileSizeBytes: file.size,
    modifiedAt: file.mtime,
    digest: createHash("sha256").update(`${path}\0${file.size}\0${file.mtimeMs}`).digest("hex"),
    loadedAt: new Date(),
  };
}

/**
 * Whether a requested name means the served model. Ollama clients add a tag
 * (`name:latest`); the bare name and `:latest` both match.
 */
export function isServedModel(served: ServedModel, requested: string): boolean {
  return requested === served.id || requested === `${served.id}:latest`;
}
