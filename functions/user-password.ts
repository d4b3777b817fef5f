import { httpRoute } from '../shared/http/adapter.ts';
import { userPassword } from '../shared/routes.ts';
import { changePassword } from '../shared/domain/users.ts';

export const handler = httpRoute(userPassword, async ({ userId, body, sourceIp }) => {
  const { token } = await changePassword(userId, body.oldPassword, body.newPassword, sourceIp);
  return { message: '密码修改成功，其他设备需重新登录', token };
});
