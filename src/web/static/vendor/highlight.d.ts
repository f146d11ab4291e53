// @highlightjs/cdn-assets ships no types; the page uses this much of highlight.js.
declare const hljs: {
  highlightElement(element: HTMLElement): void;
  getLanguage(name: string): object | undefined;
};
export default hljs;
