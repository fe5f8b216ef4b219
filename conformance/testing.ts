// What tests and scripts elsewhere use from the harness's test support: a scripted model backend,
// a reference provider, and the graded reference card with its rendered page.
export { ModelBackend } from "./testdata/model_backend.ts";
export { gradeReference } from "./testdata/recorded.ts";
export { ReferenceProvider } from "./testdata/reference_provider.ts";
export { screenshot } from "./testdata/report_page.ts";
