import { type FileHandle, open, realpath, stat } from "node:fs/promises"
import { isAbsolute, relative, sep } from "node:path"

/** Whether the real path `path` is the folder `root` (a real path) or inside it. */
export const inside = (root: string, path: string): boolean => {
  const rel = relative(root, path)
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel))
}

/** A path that leads out of the folder every read must stay in. */
export class OutsideFolder extends Error {
  constructor(readonly path: string) {
    super("leads outside the folder files may be read from (through a symlink or ..)")
  }
}

/** Refuses `path` unless its real path (every symlink resolved) is inside `root`. */
export const checkInside = async (path: string, root: string | undefined): Promise<void> => {
  if (root !== undefined && !inside(root, await realpath(path))) throw new OutsideFolder(path)
}

/**
 * Opens a file for reading. With `root`, only a file that really lies inside that folder: the
 * file opened must be the very file (same device and inode) that its real path, inside `root`,
 * names once it is open. A symlink swapped in at any moment, before or after the open, is
 * refused, so a path checked when a job was accepted cannot be turned into a read elsewhere.
 */
export const openInside = async (path: string, root: string | undefined): Promise<FileHandle> => {
  const file = await open(path, "r")
  if (root === undefined) return file
  try {
    const real = await realpath(path)
    const [opened, named] = await Promise.all([file.stat(), stat(real)])
    if (!inside(root, real) || opened.dev !== named.dev || opened.ino !== named.ino) {
      throw new OutsideFolder(path)
    }
    return file
  } catch (error) {
    await file.close()
    throw error
  }
}
