export type { FieldErrors } from './controls.tsx';
export { emptyValue, pathString } from './introspect.ts';
export { SchemaForm, type SchemaFormProps } from './schema-form.tsx';
