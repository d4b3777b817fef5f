// The WebSocket: connecting with backoff, frames out, frames in (each screen registers for its events), acks.
import { $ } from './dom.js';
import { showError } from './api.js';
import { state } from './state.js';

const handlers = new Map(); // event name → handler(frame)
let onOpen = () => undefined;

/** A screen's handler for one server event (`message`, `read`, `recalled`, `removed`, ...). */
export function onEvent(event, handler) {
  handlers.set(event, handler);
}

/** Connects (again after every close); `opened` runs on each open, to catch up on what came meanwhile. */
export function connect(opened) {
  if (opened) onOpen = opened;
  if (!state.config.wsUrl) return setStatus('polling');
  const ws = new WebSocket(`${state.config.wsUrl}${state.config.wsUrl.includes('?') ? '&' : '?'}token=${encodeURIComponent(state.token)}`);
  state.ws = ws;
  ws.addEventListener('open', () => {
    state.wsBackoffMs = 1000;
    setStatus('live');
    Promise.resolve(onOpen()).catch((error) => showError('app-error', error));
  });
  ws.addEventListener('message', (event) => {
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    onFrame(frame).catch((error) => showError('app-error', error));
  });
  ws.addEventListener('close', () => {
    if (state.ws !== ws || !state.token) return;
    setStatus('offline');
    // Closed because this user opened too many connections elsewhere: wait as told before taking one back.
    const wait = state.wsRetryAfterMs ?? state.wsBackoffMs;
    state.wsRetryAfterMs = undefined;
    setTimeout(connect, wait);
    state.wsBackoffMs = Math.min(state.wsBackoffMs * 2, 15_000);
  });
}

export const isLive = () => state.ws?.readyState === WebSocket.OPEN;

export function sendFrame(frame) {
  if (isLive()) state.ws.send(JSON.stringify(frame));
}

/** Resolves with the error frame of a refused send, or undefined once its ack (or message) is in. */
export function waitForAck(clientMessageId) {
  return new Promise((resolve) => state.ackWaiters.set(clientMessageId, resolve));
}
export function settleAck(clientMessageId, answer) {
  state.ackWaiters.get(clientMessageId)?.(answer);
  state.ackWaiters.delete(clientMessageId);
}

function setStatus(status) {
  $('ws-status').textContent = status;
  $('ws-status').dataset.status = status;
}

export const conversationIdOf = (frame) => Number(frame.conversationId ?? frame.conversation_id ?? frame.message?.conversation_id);
export const userIdOf = (frame) => Number(frame.userId ?? frame.user_id ?? frame.readerId ?? frame.senderId);

async function onFrame(frame) {
  if (frame.event !== 'error') return handlers.get(frame.event === 'ack' ? 'message' : frame.event)?.(frame);
  // A send told to come back later: its sendMessage() resends it after retryAfter.
  if (typeof frame.retryAfter === 'number' && state.ackWaiters.has(frame.clientMessageId)) return settleAck(frame.clientMessageId, frame);
  // No action: the server closed this connection for a newer one over the cap (see /docs), not a refused frame.
  if (frame.code === 'RATE_LIMITED' && frame.retryAfter && !frame.action) state.wsRetryAfterMs = frame.retryAfter * 1000;
  showError('app-error', Object.assign(new Error(frame.message), { code: frame.code }));
}
