import { config } from '../config.ts';
import { newId } from '../ids.ts';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../errors.ts';
import { IMAGE_EXTENSIONS, sniffImageType, type ImageContentType } from '../image-types.ts';
import { LIMITS } from '../limits.ts';
import { imageKey, imagePrefix, presignDownload, presignUpload, putImage, type StoredImage } from '../data/images.ts';
import { requireMembership } from './membership.ts';
import type { MessageView } from './messages.ts';

/**
 * Image messages: the client uploads straight to S3 with a presigned POST, then sends a message whose content is
 * the object key. The legacy multipart path (the seed's clients) uploads through the function instead.
 */

const ACCEPTED = Object.keys(IMAGE_EXTENSIONS).join(', ');

export type UploadRequest = { contentType: ImageContentType; size: number; conversationId: number };

/** A presigned upload under the conversation, for its members only. */
export async function requestImageUpload(callerId: number, request: UploadRequest) {
  if (request.size > config.imageMaxBytes) throw new PayloadTooLargeError(`图片不能超过 ${config.imageMaxBytes} 字节`);
  await requireMembership(callerId, request.conversationId);
  const key = imageKey({ conversationId: request.conversationId }, newId(), request.contentType);
  const { url, fields, expiresAt } = await presignUpload(key, request.contentType);
  return { upload: { url, fields }, key, expiresAt };
}

/**
 * The legacy upload: the bytes must really be an accepted image (by their magic bytes; the file name and the
 * declared type are ignored). Stored under the conversation when one is named (members only), else under the
 * uploader, whose own image messages may use it in any of their conversations.
 */
export async function storeLegacyImage(callerId: number, image: unknown, conversationId?: number) {
  if (!(image instanceof Blob)) throw new ValidationError('缺少图片文件字段 image', 'image');
  if (image.size === 0) throw new ValidationError('图片不能为空', 'image');
  if (image.size > LIMITS.legacyImageMaxBytes) throw new PayloadTooLargeError(`图片不能超过 ${LIMITS.legacyImageMaxBytes} 字节`);
  const bytes = new Uint8Array(await image.arrayBuffer());
  const contentType = sniffImageType(bytes);
  if (!contentType) throw new UnsupportedMediaTypeError(`文件不是支持的图片类型 (${ACCEPTED})`);
  if (conversationId !== undefined) await requireMembership(callerId, conversationId);
  const key = imageKey(conversationId === undefined ? { userId: callerId } : { conversationId }, newId(), contentType);
  await putImage(key, contentType, bytes);
  return { key, contentType, size: bytes.length, url: await presignDownload(key) };
}

const IMAGE_KEY = new RegExp(`^(conversations|users)/\\d{1,16}/\\d{1,16}\\.(${Object.values(IMAGE_EXTENSIONS).join('|')})$`);

/** An image message's key must be one of this conversation's uploads, or one of the sender's legacy uploads. */
export function checkImageKey(key: string, conversationId: number, senderId: number): void {
  const prefixes = [imagePrefix({ conversationId }), imagePrefix({ userId: senderId })];
  if (!IMAGE_KEY.test(key) || !prefixes.some((prefix) => key.startsWith(prefix))) {
    throw new ValidationError('图片不属于该会话: content 必须是为该会话上传的图片 key', 'content');
  }
}

/** The upload must have arrived, as an accepted type (the signed POST policy already insists on it; this holds even so). */
export function checkImageUploaded(stored: StoredImage | undefined): void {
  if (!stored) throw new ValidationError('图片尚未上传: 请先用返回的上传地址上传，再发送消息', 'content');
  if (!stored.contentType || !(stored.contentType in IMAGE_EXTENSIONS)) throw new UnsupportedMediaTypeError(`图片类型不受支持 (${ACCEPTED})`);
}

/** Adds a short-lived GET link to every image message, so clients can show it without the bucket being public. */
export function withImageUrls(views: MessageView[]): Promise<MessageView[]> {
  return Promise.all(views.map(async (view) => (view.type === 'image' && !view.recalled ? { ...view, url: await presignDownload(view.content) } : view)));
}
