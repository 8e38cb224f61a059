/**
 * Why a server could not listen, in a person's words: the system's codes (EADDRINUSE,
 * EADDRNOTAVAIL, ...) say what happened but not what to do about it.
 */

/** A line for a bind error, or undefined when the error is not one (it is then reported as it is). */
export function listenFailure(error: unknown, host: string, port: number): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  const address = `${host.includes(":") ? `[${host}]` : host}:${port}`;
  switch (code) {
    case "EADDRINUSE":
      return `cannot listen on ${address}: the port is in use (choose another with --port, or stop what uses it)`;
    case "EACCES":
      return `cannot listen on ${address}: permission denied (ports below 1024 need privileges; choose another with --port)`;
    case "EADDRNOTAVAIL":
      return `cannot listen on ${address}: no network interface of this machine has that address (use 127.0.0.1, 0.0.0.0 for all, or one of its own addresses with --host)`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_NONAME":
      return `cannot listen on ${address}: the host name "${host}" does not resolve (give an IP address with --host)`;
    default:
      return undefined;
  }
}
