// Images picked for a bulk action (tag, exclude, trash), in the order they were picked.
export class Picks {
  ids = $state<number[]>([]);

  has(id: number): boolean {
    return this.ids.includes(id);
  }
  toggle(id: number, on = !this.has(id)): void {
    this.ids = on ? (this.has(id) ? this.ids : [...this.ids, id]) : this.ids.filter((i) => i !== id);
  }
  set(ids: number[]): void {
    this.ids = ids.filter((id, i) => ids.indexOf(id) === i);
  }
  drop(ids: readonly number[]): void {
    this.ids = this.ids.filter((i) => !ids.includes(i));
  }
  clear(): void {
    this.ids = [];
  }
}
