/**
 * The image types the product accepts, and recognising them by their first bytes (magic numbers) rather than by
 * a file name or a declared type. Pure and dependency-free: the schemas, the domain and the tests share it.
 */
export const IMAGE_EXTENSIONS = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/webp': 'webp',
} as const;

export type ImageContentType = keyof typeof IMAGE_EXTENSIONS;
export const IMAGE_CONTENT_TYPES = Object.keys(IMAGE_EXTENSIONS) as [ImageContentType, ...ImageContentType[]];

const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0));

/** Each type's leading bytes (null: any byte, such as the size field of a RIFF container). */
const SIGNATURES: ReadonlyArray<{ type: ImageContentType; bytes: ReadonlyArray<number | null> }> = [
  { type: 'image/jpeg', bytes: [0xff, 0xd8, 0xff] },
  { type: 'image/png', bytes: [0x89, ...ascii('PNG'), 0x0d, 0x0a, 0x1a, 0x0a] },
  { type: 'image/gif', bytes: ascii('GIF87a') },
  { type: 'image/gif', bytes: ascii('GIF89a') },
  { type: 'image/webp', bytes: [...ascii('RIFF'), null, null, null, null, ...ascii('WEBP')] },
];

/** The image type the bytes really are, or undefined when they are none of the accepted types. */
export function sniffImageType(bytes: Uint8Array): ImageContentType | undefined {
  return SIGNATURES.find(({ bytes: expected }) => bytes.length >= expected.length && expected.every((byte, i) => byte === null || bytes[i] === byte))?.type;
}
