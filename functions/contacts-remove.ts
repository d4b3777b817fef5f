import { httpRoute } from '../shared/http/adapter.ts';
import { contactsRemove } from '../shared/routes.ts';
import { removeContact } from '../shared/domain/contacts.ts';

export const handler = httpRoute(contactsRemove, async ({ userId, params }) => {
  await removeContact(userId, params.contactId);
  return { message: '删除联系人成功' };
});
