import { httpRoute, validate } from '../shared/http/adapter.ts';
import { messageImage } from '../shared/routes.ts';
import { legacyImageFields } from '../shared/schemas.ts';
import { requestImageUpload, storeLegacyImage } from '../shared/domain/images.ts';

export const handler = httpRoute(messageImage, async (input) => {
  if (input.form) {
    const { conversationId } = validate(legacyImageFields, { conversationId: input.form.get('conversationId') ?? undefined }, 'form');
    return { status: 201, message: '上传成功', ...(await storeLegacyImage(input.userId, input.form.get('image'), conversationId)) };
  }
  return { message: '获取上传地址成功', ...(await requestImageUpload(input.userId, input.body)) };
});
