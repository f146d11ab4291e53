// Types of the browser modules served under /vendor/ (see src/web/static-assets.ts): each is the
// package's own ESM build, so its own types apply.
export * from "marked";
