import { httpRoute } from '../shared/http/adapter.ts';
import { HTTP } from '../shared/routes.ts';
import { removeContact } from '../shared/domain/contacts.ts';

export const handler = httpRoute(HTTP.contactsRemove, async ({ userId, params }) => {
  await removeContact(userId, params.contactId);
  return { message: '删除联系人成功' };
});
