import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { CheckboxField, TextAreaField } from './form.tsx';
import { SecretReveal } from './secret-reveal.tsx';

describe('SecretReveal', () => {
  it('shows the secret read-only and copies it with the button', async () => {
    const copied: string[] = [];
    render(
      <SecretReveal
        label="API key"
        value="kk_abc_secret"
        onCopy={async (v) => {
          copied.push(v);
        }}
      >
        <p>Shown once.</p>
      </SecretReveal>,
    );
    const field = screen.getByRole('textbox', { name: 'API key' }) as HTMLInputElement;
    expect(field.value).toBe('kk_abc_secret');
    expect(field.readOnly).toBe(true);
    await userEvent.click(screen.getByRole('button', { name: 'Copy' }));
    expect(copied).toEqual(['kk_abc_secret']);
    expect(await screen.findByRole('button', { name: 'Copied' })).toBeTruthy();
    expect(screen.getByRole('status').textContent).toBe('Copied to the clipboard.');
  });

  it('says so when the browser refuses to copy', async () => {
    render(
      <SecretReveal label="API key" value="x" onCopy={() => Promise.reject(new Error('denied'))} />,
    );
    await userEvent.click(screen.getByRole('button', { name: 'Copy' }));
    expect((await screen.findByRole('status')).textContent).toMatch(/copy it by hand/);
  });
});

describe('TextAreaField and CheckboxField', () => {
  it('label their controls and tie errors and hints to them', async () => {
    render(
      <>
        <TextAreaField label="YAML" error="sender[0].name: required" />
        <CheckboxField label="Custom retry policy" hint="Else the default" />
      </>,
    );
    const area = screen.getByRole('textbox', { name: 'YAML' });
    expect(area.getAttribute('aria-invalid')).toBe('true');
    expect(document.getElementById(area.getAttribute('aria-describedby')!)?.textContent).toBe(
      'sender[0].name: required',
    );
    const box = screen.getByRole('checkbox', { name: 'Custom retry policy' }) as HTMLInputElement;
    expect(box.checked).toBe(false);
    await userEvent.click(screen.getByText('Custom retry policy'));
    expect(box.checked).toBe(true);
    expect(document.getElementById(box.getAttribute('aria-describedby')!)?.textContent).toBe(
      'Else the default',
    );
  });
});
