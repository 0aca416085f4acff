'use client';
import { zodResolver } from '@hookform/resolvers/zod';
import { senderInputSchema } from '@koukan/db/schema';
import { Button, CheckboxField, ErrorPanel, SelectField, TextField } from '@koukan/ui';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Controller, useForm } from 'react-hook-form';
import type { z } from 'zod';
import { errorMessage } from '../../../lib/errors.ts';
import { applyServerErrors, errorAt } from '../../../lib/form-errors.ts';
import { useTRPC } from '../../../trpc/react.tsx';

/** The sender form validates with the server's own schema (less what it edits elsewhere). */
const senderFormSchema = senderInputSchema.omit({ enabled: true, settings: true });
type SenderFormInput = z.input<typeof senderFormSchema>;
type SenderFormValues = z.output<typeof senderFormSchema>;
const formFields = ['name', 'description', 'output_chain', 'retry', 'notification'] as const;

const defaultRetry = {
  schedule: ['1m', '5m', '15m', '1h'],
  max_attempts: 10,
  max_age: '2d',
};

const emptyToUndefined = (v: unknown) => (v === '' || v === null ? undefined : v);
const toNumber = (v: unknown) =>
  v === '' || v === null || v === undefined ? undefined : Number(v);

/** `1m, 5m, 900` ⇄ `['1m', '5m', 900]` (a bare number is seconds, as in the YAML file). */
function parseSchedule(text: string): (string | number)[] {
  return text
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function ScheduleField({
  value,
  onChange,
  onBlur,
  error,
  disabled,
}: {
  value: (string | number)[] | undefined;
  onChange: (v: (string | number)[]) => void;
  onBlur: () => void;
  error?: string | undefined;
  disabled?: boolean | undefined;
}) {
  const [text, setText] = useState((value ?? []).join(', '));
  return (
    <TextField
      label="Retry schedule"
      hint="Waits between attempts, e.g. 1m, 5m, 15m, 1h (the last one repeats)"
      value={text}
      disabled={disabled}
      error={error}
      onBlur={onBlur}
      onChange={(e) => {
        setText(e.target.value);
        onChange(parseSchedule(e.target.value));
      }}
    />
  );
}

export function SenderForm({
  mode,
  defaultValues,
  readOnly,
  pending,
  submitLabel,
  onSubmit,
}: {
  mode: 'create' | 'edit';
  defaultValues: SenderFormInput;
  readOnly?: boolean;
  pending?: boolean;
  submitLabel: string;
  /** Resolves when saved; rejects with the server's error, whose field errors land on fields. */
  onSubmit: (values: SenderFormValues) => Promise<unknown>;
}) {
  const trpc = useTRPC();
  const form = useForm<SenderFormInput, unknown, SenderFormValues>({
    resolver: zodResolver(senderFormSchema),
    defaultValues,
  });
  const { register, control, handleSubmit, watch, setValue, setError, formState } = form;
  const [formErrors, setFormErrors] = useState<string[]>([]);
  const retry = watch('retry');
  const notification = watch('notification');
  const errors = formState.errors;

  const submit = handleSubmit(async (values) => {
    setFormErrors([]);
    try {
      await onSubmit(values);
    } catch (err) {
      const rest = applyServerErrors(
        err,
        setError,
        formFields,
        mode === 'edit' ? 'patch' : undefined,
      );
      if (rest.length > 0 || Object.keys(form.formState.errors).length === 0) {
        setFormErrors(rest.length > 0 ? rest : [errorMessage(err)]);
      }
    }
  });

  // the existing chains for the output chain, the existing senders for the DSN sender
  const option = ({ name }: { name: string }) => ({ value: name, label: name });
  const chains = useQuery(trpc.senders.chainOptions.queryOptions()).data ?? [];
  const senders = useQuery(trpc.senders.list.queryOptions()).data ?? [];
  const chainOptions = [
    { value: '', label: '(none: mail is not delivered)' },
    ...chains.map(option),
  ];
  const dsnSenders = [{ value: '', label: '(this sender)' }, ...senders.map(option)];

  return (
    <form
      onSubmit={submit}
      noValidate
      aria-label={mode === 'create' ? 'New sender' : 'Sender settings'}
    >
      <fieldset disabled={readOnly || pending} className="space-y-4">
        {mode === 'create' ? (
          <TextField
            label="Name"
            hint="Lower-case letters, digits, '.', '_' and '-': used in the API's URLs and as SMTP user"
            autoComplete="off"
            error={errorAt(errors, 'name')}
            {...register('name')}
          />
        ) : null}
        <TextField
          label="Description"
          error={errorAt(errors, 'description')}
          {...register('description')}
        />
        <SelectField
          label="Output chain"
          options={chainOptions}
          error={errorAt(errors, 'output_chain')}
          {...register('output_chain', { setValueAs: (v) => (v === '' ? null : v) })}
        />

        <fieldset className="space-y-3 rounded-md border border-border p-3">
          <legend className="px-1 text-sm font-medium">Retry policy</legend>
          <CheckboxField
            label="Custom retry policy"
            hint="Unchecked: the default schedule"
            checked={retry != null}
            onChange={(e) =>
              setValue('retry', e.target.checked ? defaultRetry : null, { shouldDirty: true })
            }
          />
          {retry != null ? (
            <div className="grid gap-3 sm:grid-cols-3">
              <Controller
                control={control}
                name="retry.schedule"
                render={({ field, fieldState }) => (
                  <ScheduleField
                    value={field.value}
                    onChange={field.onChange}
                    onBlur={field.onBlur}
                    disabled={field.disabled}
                    error={fieldState.error?.message ?? errorAt(errors, 'retry.schedule')}
                  />
                )}
              />
              <TextField
                label="Max attempts"
                type="number"
                min={1}
                inputMode="numeric"
                hint="Empty: no limit"
                error={errorAt(errors, 'retry.max_attempts')}
                {...register('retry.max_attempts', { setValueAs: toNumber })}
              />
              <TextField
                label="Max age"
                hint="e.g. 2d; empty: no limit"
                error={errorAt(errors, 'retry.max_age')}
                {...register('retry.max_age', { setValueAs: emptyToUndefined })}
              />
            </div>
          ) : null}
        </fieldset>

        <fieldset className="space-y-3 rounded-md border border-border p-3">
          <legend className="px-1 text-sm font-medium">Delivery status notifications (DSN)</legend>
          <CheckboxField
            label="Send a DSN when delivery fails"
            checked={notification?.enabled === true}
            onChange={(e) =>
              setValue(
                'notification',
                e.target.checked
                  ? { ...(notification ?? {}), enabled: true }
                  : notification
                    ? { ...notification, enabled: false }
                    : null,
                { shouldDirty: true },
              )
            }
          />
          {notification?.enabled ? (
            <div className="grid gap-3 sm:grid-cols-2">
              <SelectField
                label="DSN sender"
                options={dsnSenders}
                error={errorAt(errors, 'notification.sender')}
                {...register('notification.sender', { setValueAs: emptyToUndefined })}
              />
              <TextField
                label="Mailer-daemon address"
                hint="From: of the DSN; empty: the router's default"
                error={errorAt(errors, 'notification.mailer_daemon')}
                {...register('notification.mailer_daemon', { setValueAs: emptyToUndefined })}
              />
            </div>
          ) : null}
        </fieldset>

        {formErrors.length > 0 ? (
          <ErrorPanel title="Not saved" message={formErrors.join('\n')} />
        ) : null}
        {readOnly ? null : (
          <Button type="submit" variant="primary" disabled={pending}>
            {submitLabel}
          </Button>
        )}
      </fieldset>
    </form>
  );
}
