// The @ picker: typing "@" in a group lists its members (and @所有人 for owner and admins); a pick puts "@nickname"
// in the text, and the send carries the ids of the picks still in it as `mentions` / `mentionAll`.
import { $, el } from './dom.js';
import { state } from './state.js';
import { isManager } from './names.js';

const EVERYONE = 'all';
const picked = new Map(); // "@nickname" → user id, or EVERYONE

const text = $('text');
const picker = $('mention-picker');

/** The "@query" just before the caret, or null. */
const typedMention = () => /@([^\s@]*)$/.exec(text.value.slice(0, text.selectionStart));

function candidates(query) {
  const everyone = isManager(state.open, state.me.id) ? [{ id: EVERYONE, name: '所有人' }] : [];
  const members = state.members.map((m) => ({ id: m.id, name: m.nickname }));
  return [...everyone, ...members].filter((c) => c.name.toLowerCase().includes(query.toLowerCase()));
}

function renderPicker() {
  const typed = state.open?.type === 'group' && !state.gone ? typedMention() : null;
  const shown = typed ? candidates(typed[1]) : [];
  picker.hidden = shown.length === 0;
  picker.replaceChildren(...shown.map((c) => el('li', {},
    // mousedown keeps the focus (and the caret) in the text field
    el('button', { type: 'button', className: 'mention-option', dataset: { id: c.id }, textContent: `@${c.name}`, onmousedown: (event) => event.preventDefault(), onclick: () => pick(c) }))));
}

function pick(candidate) {
  const typed = typedMention();
  if (!typed) return;
  const caret = text.selectionStart;
  const token = `@${candidate.name}`;
  const start = caret - typed[0].length;
  text.value = `${text.value.slice(0, start)}${token} ${text.value.slice(caret)}`;
  text.setSelectionRange(start + token.length + 1, start + token.length + 1);
  picked.set(token, candidate.id);
  picker.hidden = true;
  text.focus();
}

/** What a text being sent mentions: the picks still in it, of members of the open group; the picks are then forgotten. */
export function takeMentions(content) {
  const memberIds = new Set(state.members.map((m) => m.id));
  const mentions = [];
  let mentionAll = false;
  for (const [token, id] of picked) {
    if (!content.includes(token)) continue;
    if (id === EVERYONE) mentionAll = isManager(state.open, state.me.id);
    else if (memberIds.has(id) && !mentions.includes(id)) mentions.push(id);
  }
  picked.clear();
  picker.hidden = true;
  return { mentions, mentionAll };
}

text.addEventListener('input', renderPicker);
text.addEventListener('keydown', (event) => {
  if (event.key === 'Escape') picker.hidden = true;
});
