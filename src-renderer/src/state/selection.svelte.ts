// The image shown in the detail panel, and its place in the grid when known.
class Selection {
  imageId = $state<number | null>(null);
  /** index in the grid's current order; -1 when the image was picked elsewhere */
  index = $state(-1);
  /** the folder of the selected image, when known: removing that folder closes the panel */
  folderId = $state<number | null>(null);

  select(imageId: number | null, index = -1, folderId: number | null = null): void {
    this.imageId = imageId;
    this.index = imageId === null ? -1 : index;
    this.folderId = imageId === null ? null : folderId;
  }
}

export const selection = new Selection();
