// Writing: text (with @-mentions from the picker) and images, over the WebSocket with its ack or over HTTP, resent
// after retryAfter when the conversation is busy; typing notices while writing.
import { $, sleep } from './dom.js';
import { api, guarded, showError } from './api.js';
import { state } from './state.js';
import { isLive, sendFrame, settleAck, waitForAck } from './socket.js';
import { addMessages, renderMessages } from './messages.js';
import { takeMentions } from './mention-picker.js';

const TYPING_SEND_EVERY_MS = 2000;
const ACK_TIMEOUT_MS = 5000;
/** How often a send told RATE_LIMITED or SERVICE_UNAVAILABLE (with retryAfter) is resent before giving up. */
const SEND_RETRIES = 4;
const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];

$('composer').addEventListener('submit', (event) => {
  event.preventDefault();
  guarded('app-error', async () => {
    const text = $('text').value;
    if (state.pendingImage) await sendImage(state.pendingImage);
    if (text.trim()) {
      $('text').value = '';
      await sendMessage({ content: text, type: 'text', ...takeMentions(text) });
    }
  })();
});

/** Over the WebSocket when it is open (ack awaited), else over HTTP; the same clientMessageId makes a retry safe. */
async function sendMessage({ content, type, mentions, mentionAll }) {
  const conversationId = state.current;
  const clientMessageId = crypto.randomUUID();
  const pendingKey = `pending:${clientMessageId}`;
  const mentioning = { ...(mentions?.length ? { mentions } : {}), ...(mentionAll ? { mentionAll: true } : {}) };
  state.messages.set(pendingKey, {
    id: Number.MAX_SAFE_INTEGER, seq: Number.MAX_SAFE_INTEGER, pending: true, clientMessageId, conversation_id: conversationId, sender_id: state.me.id,
    content, type, sent_at: new Date().toISOString(), ...(mentions?.length ? { mentions } : {}), ...(mentionAll ? { mention_all: true } : {}),
  });
  renderMessages({ stickToBottom: true });
  const body = { conversationId, content, type, clientMessageId, ...mentioning };
  // A busy conversation answers RATE_LIMITED / SERVICE_UNAVAILABLE with retryAfter: resend after it, a few times.
  for (let attempt = 0; attempt < SEND_RETRIES && isLive(); attempt++) {
    const answered = waitForAck(clientMessageId);
    sendFrame({ action: 'sendMessage', ...body });
    const answer = await Promise.race([answered, sleep(ACK_TIMEOUT_MS)]);
    settleAck(clientMessageId); // answered or timed out: its waiter goes
    if (!state.messages.has(pendingKey)) return; // acknowledged
    if (typeof answer?.retryAfter !== 'number') break; // no answer in time: resend over HTTP, stored once
    showError('app-error', new Error(`发送繁忙，${answer.retryAfter} 秒后自动重试`));
    await sleep(answer.retryAfter * 1000);
    showError('app-error', null);
  }
  try {
    const { data } = await api('POST', '/message/send', body);
    if (state.current === conversationId) addMessages([data]);
  } catch (error) {
    state.messages.delete(pendingKey);
    throw error;
  } finally {
    renderMessages({ stickToBottom: true });
  }
}

$('image-input').addEventListener('change', (event) => {
  const file = event.target.files[0];
  event.target.value = '';
  if (!file) return;
  if (!IMAGE_TYPES.includes(file.type)) return showError('app-error', new Error('只能发送 JPEG、PNG、GIF 或 WebP 图片'));
  setPendingImage(file);
});
$('cancel-image').addEventListener('click', () => setPendingImage(null));

function setPendingImage(file) {
  if (state.pendingImage) URL.revokeObjectURL($('preview-img').src);
  state.pendingImage = file;
  $('image-preview').hidden = !file;
  $('preview-img').src = file ? URL.createObjectURL(file) : '';
}

/** Straight to S3 through the presigned POST (the API never sees the bytes), then an image message with the key. */
async function sendImage(file) {
  const { upload, key } = await api('POST', '/message/image', { contentType: file.type, size: file.size, conversationId: state.current });
  const form = new FormData();
  for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
  form.append('file', file); // S3 wants the file last
  const res = await fetch(upload.url, { method: 'POST', body: form });
  if (!res.ok) throw new Error(`图片上传失败 (${res.status})`);
  state.localImages.set(key, URL.createObjectURL(file));
  setPendingImage(null);
  await sendMessage({ content: key, type: 'image' });
}

let lastTypingSent = 0;
$('text').addEventListener('input', () => {
  if (!state.current || Date.now() - lastTypingSent < TYPING_SEND_EVERY_MS) return;
  lastTypingSent = Date.now();
  sendFrame({ action: 'typing', conversationId: state.current });
});
