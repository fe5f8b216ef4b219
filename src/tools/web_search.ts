// web_search: the provider's own search tool. It is declared in the request and runs on the
// provider's side (results arrive as web_search_call items); nothing executes here.
import type { ToolDef } from "./registry.ts";

export interface WebSearchOptions {
  /** Live web access; upstream's default ("cached" mode) declares `external_web_access: false`. */
  externalWebAccess?: boolean;
}

export function webSearchTool(options: WebSearchOptions = {}): ToolDef {
  return {
    kind: "provider",
    name: "web_search",
    description: "Search the web; the model provider runs the search and returns the results.",
    spec: { type: "web_search", external_web_access: options.externalWebAccess ?? false },
  };
}
