export type { FieldErrors } from './controls.tsx';
export { emptyValue, humanize, inspect, pathString, zodFieldErrors } from './introspect.ts';
export { SchemaForm, type SchemaFormProps } from './schema-form.tsx';
