export { main } from "./main.ts";
export { VERSION } from "./version.ts";
