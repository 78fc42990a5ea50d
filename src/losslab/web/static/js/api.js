// Talking to the losslab server: JSON in, JSON out, every request with a timeout.
// Errors (HTTP 4xx/5xx with {"error": {"message", "field"}}, timeouts, network failures) become
// ApiError, which the sections show inline.

export const DEFAULT_TIMEOUT_MS = 20000;

export class ApiError extends Error {
  constructor(message, { status = 0, field = null, kind = "http" } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.field = field;
    this.kind = kind; // "http" | "timeout" | "network" | "aborted"
  }
}

/**
 * Request `path` and return the parsed JSON body.
 * @param {string} path  e.g. "/api/losses"
 * @param {{method?: string, body?: any, timeout?: number, signal?: AbortSignal}} opts
 */
export async function api(path, { method, body, timeout = DEFAULT_TIMEOUT_MS, signal } = {}) {
  const ctrl = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; ctrl.abort(); }, timeout);
  const onOuterAbort = () => ctrl.abort();
  if (signal) {
    if (signal.aborted) ctrl.abort();
    else signal.addEventListener("abort", onOuterAbort, { once: true });
  }
  const init = { method: method || (body === undefined ? "GET" : "POST"), signal: ctrl.signal,
                 headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(path, init);
  } catch (err) {
    clearTimeout(timer);
    if (timedOut) {
      throw new ApiError(`The server did not answer within ${Math.round(timeout / 1000)} s (${path}). ` +
                         "Is `losslab serve` still running?", { kind: "timeout" });
    }
    if (ctrl.signal.aborted) throw new ApiError("request cancelled", { kind: "aborted" });
    throw new ApiError(`Could not reach the server (${path}): ${err.message}. Is \`losslab serve\` running?`,
                       { kind: "network" });
  } finally {
    if (signal) signal.removeEventListener("abort", onOuterAbort);
  }
  let data = null;
  try {
    const text = await resp.text();
    data = text ? JSON.parse(text) : null;
  } catch (err) {
    clearTimeout(timer);
    if (timedOut) throw new ApiError(`The server did not finish answering within ${Math.round(timeout / 1000)} s (${path}).`, { kind: "timeout" });
    if (ctrl.signal.aborted) throw new ApiError("request cancelled", { kind: "aborted" });
    throw new ApiError(`The server sent something that is not JSON (${path}, HTTP ${resp.status}).`,
                       { status: resp.status });
  }
  clearTimeout(timer);
  if (!resp.ok) {
    const e = (data && data.error) || {};
    const msg = e.message || `HTTP ${resp.status} from ${path}`;
    throw new ApiError(msg, { status: resp.status, field: e.field ?? null });
  }
  return data;
}

/** A request slot: starting a new request cancels the previous one (latest wins). */
export class Latest {
  constructor() { this.ctrl = null; }
  async run(path, opts = {}) {
    if (this.ctrl) this.ctrl.abort();
    const ctrl = new AbortController();
    this.ctrl = ctrl;
    try {
      return await api(path, { ...opts, signal: ctrl.signal });
    } finally {
      if (this.ctrl === ctrl) this.ctrl = null;
    }
  }
}
