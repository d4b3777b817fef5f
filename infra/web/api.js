// HTTP to the API with the caller's token, and how a failure reaches the screen (the API's envelope, as it is).
import { $ } from './dom.js';
import { state } from './state.js';

export async function api(method, path, body) {
  const headers = {};
  if (state.token) headers.token = state.token;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(state.config.apiUrl + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await res.json().catch(() => ({ success: false, message: res.statusText }));
  if (!res.ok || data.success === false) {
    if (res.status === 401 && state.token) signOut();
    throw Object.assign(new Error(data.message || res.statusText), { code: data.code, status: res.status });
  }
  return data;
}

export function signOut() {
  state.token = null;
  sessionStorage.removeItem('token');
  state.ws?.close();
  location.reload();
}

/** Shows an error (its message and code) in the element `where`, or clears it. */
export function showError(where, error) {
  $(where).textContent = error ? `${error.message}${error.code ? ` (${error.code})` : ''}` : '';
}

/** Runs a UI action; a failure is shown in `where` instead of thrown. */
export const guarded = (where, action) => async (...args) => {
  showError(where, null);
  try {
    await action(...args);
  } catch (error) {
    showError(where, error);
  }
};
