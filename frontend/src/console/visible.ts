// Which rows of a long, scrolling table are on screen: per-second updates (elapsed times) touch
// only those, so a 500-row board does not re-lay out every second. Rows report when they appear,
// so an off-screen row is refreshed as soon as it scrolls into view.
export class VisibleRows<T extends Element> {
  readonly visible = new Set<T>();
  private readonly io: IntersectionObserver | null;

  constructor(root: Element, onShow: (row: T) => void) {
    this.io =
      typeof IntersectionObserver === "undefined"
        ? null
        : new IntersectionObserver(
            (entries) => {
              for (const e of entries) {
                const row = e.target as T;
                if (e.isIntersecting) {
                  this.visible.add(row);
                  onShow(row);
                } else this.visible.delete(row);
              }
            },
            { root, rootMargin: "200px 0px" },
          );
  }

  observe(row: T): void {
    if (this.io) this.io.observe(row);
    else this.visible.add(row);
  }

  unobserve(row: T): void {
    this.io?.unobserve(row);
    this.visible.delete(row);
  }

  /** Rows to refresh now: the visible ones (all rows when IntersectionObserver is missing). */
  isVisible(row: T): boolean {
    return this.io === null || this.visible.has(row);
  }
}
