import { posix } from "node:path";

/** What the scan found at a path of the tree: enough to follow symlinks without touching the disk again. */
export type TreeNode = { type: "dir" | "file" | "other" } | { type: "symlink"; target: string };

/** Where a symlink ends up: inside the tree, outside it, or nowhere (dangling, a loop, a file used as a dir). */
export type LinkVerdict = "inside" | "outside" | "unresolved";

/** What is at a path of the tree ("/"-separated, relative to its root), or undefined when nothing is. */
export type LinkLookup = (rel: string) => TreeNode | undefined;

/** Linux gives up after 40 links in one resolution (ELOOP); so do we. */
const MAX_LINKS = 40;

class Outside extends Error {}
class Unresolved extends Error {}

/**
 * Resolves the symlink at `rel` (whose target is `linkTarget`, or what `tree` says) the way realpath(3)
 * would, but over a view of the tree (a map, or a cached lookup of the disk): each component is looked up,
 * symlinks met on the way are followed (relative to their own directory), `..` above the root or an
 * absolute target means "outside". No realpath per link: checking 20k Hugging Face snapshot links costs one
 * cached lookup per component instead of 20k realpath calls.
 *
 * Directories of the tree are never symlinks themselves (the scan does not descend into links), so the
 * link's own directory is real and `rel`'s parent components need no resolving.
 */
export function resolveLink(
  tree: ReadonlyMap<string, TreeNode> | LinkLookup,
  rel: string,
  linkTarget?: string,
): LinkVerdict {
  const get: LinkLookup = typeof tree === "function" ? tree : (path) => tree.get(path);
  const target = linkTarget ?? symlinkTarget(get(rel), rel);
  let links = 0;
  const typeAt = (parts: string[]) => (parts.length === 0 ? "dir" : get(parts.join("/"))?.type);
  const follow = (dir: string[], target: string): string[] => {
    if (++links > MAX_LINKS) throw new Unresolved();
    if (posix.isAbsolute(target)) throw new Outside();
    const parts = [...dir];
    const components = target.split("/");
    for (const [i, component] of components.entries()) {
      if (component === "" || component === ".") continue;
      if (component === "..") {
        if (parts.length === 0) throw new Outside();
        parts.pop();
        continue;
      }
      const found = get([...parts, component].join("/"));
      if (found === undefined) throw new Unresolved();
      if (found.type === "symlink") parts.splice(0, parts.length, ...follow(parts, found.target));
      else parts.push(component);
      // Anything but a directory can only be the very last component ("file/" or "file/x" is ENOTDIR).
      if (i < components.length - 1 && typeAt(parts) !== "dir") throw new Unresolved();
    }
    return parts;
  };
  try {
    follow(posix.dirname(rel) === "." ? [] : posix.dirname(rel).split("/"), target);
    return "inside";
  } catch (error) {
    if (error instanceof Outside) return "outside";
    if (error instanceof Unresolved) return "unresolved";
    throw error;
  }
}

function symlinkTarget(node: TreeNode | undefined, rel: string): string {
  if (node?.type !== "symlink") throw new Error(`not a scanned symlink: ${rel}`);
  return node.target;
}
