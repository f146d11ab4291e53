/**
 * The page's globals as seen by `page.evaluate()` callbacks, which run in the browser. The tests
 * are compiled without the DOM library (it would change Node's own types), so each test file
 * declares `document` and `window` locally with these shapes: just what the tests touch.
 */
export interface PageElement {
  textContent: string | null;
  attributes: Iterable<{ name: string }>;
  getAttribute(name: string): string | null;
  getBoundingClientRect(): { left: number; right: number };
  scrollTo(options: { top: number }): void;
}

export interface PageDocument {
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement> & Iterable<PageElement>;
  getElementById(id: string): PageElement | null;
  documentElement: { scrollWidth: number };
}

export interface PageWindow {
  innerWidth: number;
  __pwned?: unknown;
}
