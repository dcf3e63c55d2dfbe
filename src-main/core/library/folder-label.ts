// The class an image's place in its library folder gives it. An image's relative path under its
// library folder ('/'-separated, as stored in images.rel_path) has directory segments
// d[0] / d[1] / ... / d[m-1] / file. Level L >= 0 names d[L], the (L+1)-th directory below the
// library folder; level L < 0 counts from the file upwards: -1 is the immediate parent d[m-1],
// -2 its parent, and so on. An image with no directory at that level (fewer than L+1, or fewer
// than -L, directories; in particular every image directly in a library folder's root) is
// unlabelled. The label is the segment's name alone, compared exactly (case-sensitive):
// 'a/cats/1.jpg' and 'b/cats/2.jpg' share the class 'cats' at level 1 or -1, as do 'cats/'
// folders of different library folders.

/** The folder label of one relative path at `level`, or null (see the header). */
export function folderLabel(relPath: string, level: number): string | null {
  const dirs = relPath
    .split('/')
    .slice(0, -1)
    .filter((s) => s !== '' && s !== '.');
  const i = level >= 0 ? level : dirs.length + level;
  return i >= 0 && i < dirs.length ? dirs[i] : null;
}
