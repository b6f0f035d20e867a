/**
 * What the view takes from the MCP Apps specification by value. Pure (no DOM): a test pins it to the extension's
 * package, whose exports the page cannot import without bundling the client SDK (see bridge.ts).
 */

/** The revision of the extension the view speaks in ui/initialize (the package's LATEST_PROTOCOL_VERSION). */
export const APPS_PROTOCOL_VERSION = '2026-01-26';
