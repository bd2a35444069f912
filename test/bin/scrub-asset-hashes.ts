/**
 * Asset hashes change whenever aws-cdk-lib's bundled handlers change, which says nothing about
 * these constructs; snapshots hold a placeholder instead.
 */
const ASSET_HASH = /[0-9a-f]{64}/g;
export const ASSET_HASH_PLACEHOLDER = '[asset hash]';

export function scrubAssetHashes<T>(value: T): T {
  if (typeof value === 'string') return value.replace(ASSET_HASH, ASSET_HASH_PLACEHOLDER) as T;
  if (Array.isArray(value)) return value.map((item) => scrubAssetHashes(item)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [scrubAssetHashes(key), scrubAssetHashes(item)]),
    ) as T;
  }
  return value;
}
