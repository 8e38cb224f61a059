// Builds the chat page that `mullama serve` serves at `/`: compiles web/*.ts with
// web/tsconfig.json (ES modules the browser loads as they are: no bundler) into
// dist/web/, next to a copy of the page's static files. dist/web/ is emptied first, so
// a renamed or deleted source leaves nothing behind to be served.
// Runs from `npm run build`; the page's tests run it too, so they never test a stale page.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const source = `${root}web/`;
const output = `${root}dist/web/`;
const staticFile = /\.(html|css|svg)$/;

rmSync(output, { recursive: true, force: true });
// The package exports no path to its compiler script; its package.json locates it.
const typescriptCompiler = fileURLToPath(new URL("bin/tsc", pathToFileURL(createRequire(import.meta.url).resolve("typescript/package.json"))));
execFileSync(process.execPath, [typescriptCompiler, "-p", `${source}tsconfig.json`], { stdio: "inherit" });
mkdirSync(output, { recursive: true });
for (const name of readdirSync(source)) if (staticFile.test(name)) copyFileSync(`${source}${name}`, `${output}${name}`);
