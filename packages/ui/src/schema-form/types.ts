import type { z } from 'zod';

export type Path = (string | number)[];

export interface FieldProps {
  schema: z.ZodType;
  value: unknown;
  onChange: (value: unknown) => void;
  path: Path;
  label: string;
}
