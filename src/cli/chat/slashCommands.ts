/**
 * The chat's slash commands: a message that starts with `/` is a command, in a terminal
 * and from a pipe alike. Each prints what it did (or why it could not) and the chat goes
 * on; only `/exit` ends it.
 */
import { readFile, writeFile } from "node:fs/promises";
import { errorMessage } from "../../errors.js";
import { numericSettings } from "../generationFlags.js";
import type { ChatSession } from "./chatSession.js";
import { Conversation } from "./conversation.js";
import { describeStats } from "./chatStats.js";

export const slashHelp = `Commands:
  /help                 this list
  /clear                forget the conversation (the system prompt stays)
  /system [text]        show the system prompt, or set it (it applies from the next answer)
  /set [name value]     show the sampling settings, or set one: ${Object.keys(numericSettings).join(", ")};
                        "/set temperature default" goes back to the default
  /save <file>          write the conversation and settings to a JSON file
  /load <file>          read them back from one
  /stats                the last answer's speed and the conversation's size
  /exit                 leave (so do Ctrl-D, and Ctrl-C twice at an empty prompt)
A line that ends with a backslash (\\) continues on the next line; pasted lines stay one message.
`;

/** What a command asks of the chat after it ran. */
export type SlashOutcome = "continue" | "exit";

/** Runs a command line (it starts with "/"); `print` writes its output, one or more lines. */
export async function runSlashCommand(line: string, session: ChatSession, print: (text: string) => void): Promise<SlashOutcome> {
  const [name = "", ...words] = line.slice(1).trim().split(/\s+/);
  const rest = line.slice(1).trim().slice(name.length).trim();
  switch (name) {
    case "help":
    case "?":
      print(slashHelp);
      return "continue";
    case "exit":
    case "quit":
    case "bye":
      return "exit";
    case "clear":
      session.conversation.clear();
      print("(the conversation is cleared)\n");
      return "continue";
    case "system":
      if (rest === "") {
        print(session.conversation.system === undefined ? "(no system prompt)\n" : `${session.conversation.system}\n`);
      } else {
        session.conversation.system = rest;
        print("(the system prompt is set)\n");
      }
      return "continue";
    case "set":
      print(setSetting(session, words));
      return "continue";
    case "save":
    case "load":
      if (rest === "") {
        print(`(/${name} needs a file name: /${name} chat.json)\n`);
        return "continue";
      }
      print(name === "save" ? await save(session, rest) : await load(session, rest));
      return "continue";
    case "stats":
      print(describeStats(session));
      return "continue";
    default:
      print(`(unknown command /${name}; /help lists them)\n`);
      return "continue";
  }
}

function setSetting(session: ChatSession, words: string[]): string {
  const [name, value, ...extra] = words;
  if (name === undefined) {
    const lines = Object.entries(numericSettings).map(([flag, setting]) => `  ${flag.padEnd(16)}${session.settings[setting.key] ?? "default"}`);
    return `${lines.join("\n")}\n`;
  }
  const setting = numericSettings[name as keyof typeof numericSettings];
  if (setting === undefined) return `(no setting "${name}"; /set lists them)\n`;
  if (value === undefined || extra.length > 0) return `(/set ${name} takes one value: /set ${name} <value>)\n`;
  if (value === "default") {
    delete session.settings[setting.key];
    return `(${name} is back to its default)\n`;
  }
  try {
    session.settings[setting.key] = setting.parse(value);
  } catch (error) {
    return `(${errorMessage(error)})\n`;
  }
  return `(${name} = ${value})\n`;
}

async function save(session: ChatSession, file: string): Promise<string> {
  try {
    await writeFile(file, `${JSON.stringify(session.conversation.toSaved(session.settings), null, 2)}\n`);
  } catch (error) {
    return `(cannot save to ${file}: ${errorMessage(error)})\n`;
  }
  return `(saved ${session.conversation.turns.length} messages to ${file})\n`;
}

async function load(session: ChatSession, file: string): Promise<string> {
  let loaded;
  try {
    loaded = Conversation.fromSaved(JSON.parse(await readFile(file, "utf8")));
  } catch (error) {
    return `(cannot load ${file}: ${errorMessage(error)})\n`;
  }
  session.conversation = loaded.conversation;
  session.settings = loaded.options;
  return `(loaded ${loaded.conversation.turns.length} messages from ${file})\n`;
}
