// The HTTP API (../shared/API.md): every call signed with the person's id token; every error the API returns is
// thrown as an ApiError whose message is the API's Message.

export class ApiError extends Error {
  constructor(status, code, message, retryAfter = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

export function createApi(config, auth) {
  async function call(method, path, {query = null, body = undefined, idempotencyKey = null} = {}) {
    const url = new URL(config.api_url + path);
    for (const [name, value] of Object.entries(query || {})) {
      if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
    }
    const headers = {};
    const token = await auth.idToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
    let response;
    try {
      response = await fetch(url, {method, headers, body: body === undefined ? undefined : JSON.stringify(body)});
    } catch {
      throw new ApiError(0, "NetworkError", "The API could not be reached: check your connection, or sign in again.");
    }
    if (response.status === 204) return null;
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = null; }
    if (!response.ok) {
      const message = (data && (data.Message || data.message)) || `${response.status} ${response.statusText}`;
      throw new ApiError(response.status, (data && data.Code) || "Error", message, response.headers.get("Retry-After"));
    }
    return data;
  }
  return {
    get: (path, query) => call("GET", path, {query}),
    post: (path, body = {}, options = {}) => call("POST", path, {body, ...options}),
    patch: (path, body) => call("PATCH", path, {body}),
    put: (path, body) => call("PUT", path, {body}),
    del: (path) => call("DELETE", path),
    /** Every page of a list (at most maxPages), following next_cursor. */
    async all(path, query = {}, maxPages = 5) {
      const items = [];
      let cursor = null;
      for (let page = 0; page < maxPages; page += 1) {
        const answer = await call("GET", path, {query: {...query, cursor}});
        items.push(...answer.items);
        cursor = answer.next_cursor;
        if (!cursor) break;
      }
      return items;
    },
  };
}

/** Run a keyed write with its form's Idempotency-Key: the same key again after a network failure, a 5xx or a 429
(the first attempt may have landed); a new one after success or any other answer, which the API keeps and would
replay (or refuse, with 409, for a changed body). */
export async function keyed(form, write) {
  form.dataset.key = form.dataset.key || crypto.randomUUID();
  try {
    const answer = await write(form.dataset.key);
    form.dataset.key = crypto.randomUUID();
    return answer;
  } catch (error) {
    if (error.status >= 400 && error.status < 500 && error.status !== 429) form.dataset.key = crypto.randomUUID();
    throw error;
  }
}
