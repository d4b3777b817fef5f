import { httpRoute } from '../shared/http/adapter.ts';
import { userSettings } from '../shared/routes.ts';
import { updateSettings } from '../shared/domain/users.ts';

export const handler = httpRoute(userSettings, async ({ userId, body }) => {
  return { message: '设置成功', settings: await updateSettings(userId, body) };
});
