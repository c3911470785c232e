/** Why a file operation on a path the user gave failed, in a few words (for one-line errors). */
export function fileErrorReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' ? 'no such file'
    : code === 'EACCES' || code === 'EPERM' ? 'permission denied'
    : code === 'EISDIR' ? 'it is a directory'
    : code === 'ENOTDIR' ? 'a part of the path is not a directory'
    : code === 'ENOSPC' ? 'no space left on device'
    : code === 'EROFS' ? 'read-only file system'
    : error instanceof Error ? error.message : String(error);
}
