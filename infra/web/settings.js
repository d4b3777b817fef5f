// The caller's own settings (shown from their profile): who may put them in a group.
import { $ } from './dom.js';
import { api, guarded } from './api.js';
import { state } from './state.js';

export function renderSettings() {
  $('group-invites').value = state.me.settings?.groupInvites ?? 'anyone';
}

$('group-invites').addEventListener('change', guarded('settings-status', async () => {
  $('settings-status').textContent = '';
  const { settings } = await api('POST', '/user/settings', { groupInvites: $('group-invites').value });
  state.me.settings = settings;
  renderSettings();
  $('settings-status').textContent = '已保存';
}));
