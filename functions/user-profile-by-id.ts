import { httpRoute } from '../shared/http/adapter.ts';
import { userProfileById } from '../shared/routes.ts';
import { getProfile } from '../shared/domain/users.ts';

export const handler = httpRoute(userProfileById, async ({ userId, params }) => {
  return { message: '查询成功', user: await getProfile(userId, params.id) };
});
