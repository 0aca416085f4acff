export { emptyValue, humanize, inspect, pathString } from './introspect.ts';
export {
  type FieldErrors,
  SchemaForm,
  type SchemaFormProps,
  zodFieldErrors,
} from './schema-form.tsx';
