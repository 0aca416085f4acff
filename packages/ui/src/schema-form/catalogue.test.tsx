import { filterMeta } from '@koukan/chain/catalogue';
import {
  type FilterName,
  filterConfigSchemas,
  filterNames,
  validateChain,
} from '@koukan/chain/schemas';
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { describe, expect, it } from 'vitest';
import { pathString } from './introspect.ts';
import { type FieldErrors, SchemaForm } from './schema-form.tsx';

/** The chain editor's loop in small: edit a filter's config, validate it as the server does. */
function errorsOf(name: FilterName, value: Record<string, unknown>): FieldErrors {
  const r = validateChain([{ ...value, filter: name }]);
  const out: FieldErrors = {};
  if (r.ok) return out;
  for (const e of r.errors) {
    const p = pathString(e.path.slice(1));
    out[p] = [...(out[p] ?? []), e.message];
  }
  return out;
}

function Editor({ name, initial }: { name: FilterName; initial: Record<string, unknown> }) {
  const [value, setValue] = useState(initial);
  const errors = errorsOf(name, value);
  return (
    <>
      <SchemaForm
        label={name}
        schema={filterConfigSchemas[name]}
        value={value}
        onChange={setValue}
        errors={errors}
        secretNames={['gateway', 'dkim/example.com/rsa1', 'dkim/example.com/ed1']}
      />
      <output data-testid="value">{JSON.stringify(value)}</output>
      <output data-testid="valid">{Object.keys(errors).length === 0 ? 'valid' : 'invalid'}</output>
    </>
  );
}

const example = (name: FilterName) => {
  const { filter: _f, ...config } = filterMeta[name].example as Record<string, unknown>;
  return config;
};

/**
 * One invalid config per filter, with the path the error must be shown at. Adding a filter to
 * the catalogue without a case here fails the test below.
 */
const invalid: Record<FilterName, { config: Record<string, unknown>; path: string }> = {
  router: {
    config: { policies: [{ type: 'smarthost', smarthost: 'not a host:x' }] },
    path: 'policies[0].smarthost',
  },
  exploder: { config: { output_chain: 'x', rcpt_timeout: -1 }, path: 'rcpt_timeout' },
  dns_resolution: { config: { port: 70000 }, path: 'port' },
  message_builder: { config: { message_id_domain: '' }, path: 'message_id_domain' },
  message_parser: { config: { inline_limit: 1.5 }, path: 'inline_limit' },
  dkim_sign: {
    config: { keys: [{ domain: 'example.com', selector: 's', private_key_ref: 'bad name!' }] },
    path: 'keys[0].private_key_ref',
  },
  auth_check: { config: { min_bit_length: 100 }, path: 'min_bit_length' },
  received_header: { config: { hostname: '' }, path: 'hostname' },
  policy: {
    config: { rules: [{ match: { client_cidr: ['nope'] }, action: 'reject' }] },
    path: 'rules[0].match.client_cidr[0]',
  },
  add_route: { config: { sender: 'archive', mode: 'sometimes' }, path: 'mode' },
  rest_output: { config: { url: 'ftp://x', sender: 'outbound' }, path: 'url' },
  sandbox: { config: { response: { code: 99, message: 'x' } }, path: 'response.code' },
};

describe('the form of every filter of the catalogue', { timeout: 60_000 }, () => {
  it('has an invalid case for every filter', () => {
    expect(Object.keys(invalid).sort()).toEqual([...filterNames].sort());
  });

  for (const name of filterNames) {
    it(`${name}: renders its example as valid, and shows an invalid config's error at the field`, () => {
      const { unmount } = render(<Editor name={name} initial={example(name)} />);
      const form = screen.getByRole('group', { name });
      expect(within(form).queryAllByRole('listitem')).toHaveLength(0);
      expect(screen.getByTestId('valid').textContent).toBe('valid');
      // Every control has a label.
      for (const control of form.querySelectorAll('input, select, textarea')) {
        expect(control.id && form.querySelector(`label[for="${control.id}"]`)).toBeTruthy();
      }
      unmount();

      const bad = invalid[name];
      render(<Editor name={name} initial={bad.config} />);
      expect(screen.getByTestId('valid').textContent).toBe('invalid');
      const field = screen
        .getAllByRole('listitem')
        .find((li) => li.querySelector('code')?.textContent === bad.path);
      expect(field, `an error shown at ${bad.path}`).toBeTruthy();
      // Tied to its control, which is marked invalid (leaf fields).
      const control = document.querySelector(`[aria-describedby="${field!.parentElement!.id}"]`);
      if (control) expect(control.getAttribute('aria-invalid')).toBe('true');
    });
  }
});

// Typing through user-event is slow on a loaded machine: no tight wall-clock limit here.
describe('editing through the generated form', { timeout: 60_000 }, () => {
  it('types, picks a secret, adds and removes array items, and clears errors when fixed', async () => {
    const user = userEvent.setup({ delay: null });
    render(<Editor name="rest_output" initial={{ url: 'http://gw', sender: 'outbound' }} />);
    const url = screen.getByLabelText('url');
    await user.clear(url);
    await user.type(url, 'nope');
    expect(url.getAttribute('aria-invalid')).toBe('true');
    const described = document.getElementById(url.getAttribute('aria-describedby')!);
    expect(described!.textContent).toMatch(/^url.*URL/i);
    await user.clear(url);
    await user.type(url, 'http://localhost:8001');
    expect(url.getAttribute('aria-invalid')).toBeNull();
    // A secret is chosen by name from a select: there is no text box for it.
    const secret = screen.getByLabelText('api key ref');
    expect(secret.tagName).toBe('SELECT');
    await user.selectOptions(secret, 'gateway');
    // An integer with a maximum: the browser's number control, validated by the schema too.
    const poll = screen.getByLabelText('poll timeout');
    await user.type(poll, '45');
    expect(screen.getByTestId('valid').textContent).toBe('invalid');
    await user.clear(poll);
    await user.type(poll, '20');
    expect(JSON.parse(screen.getByTestId('value').textContent!)).toEqual({
      url: 'http://localhost:8001',
      sender: 'outbound',
      api_key_ref: 'gateway',
      poll_timeout: 20,
    });
    expect(screen.getByTestId('valid').textContent).toBe('valid');
  });

  it('switches a union variant and edits arrays of objects (router policies)', async () => {
    const user = userEvent.setup({ delay: null });
    render(<Editor name="router" initial={{ policies: [{ type: 'destination_domain' }] }} />);
    await user.click(screen.getByRole('button', { name: 'Add to policies' }));
    const kind = screen.getByLabelText('policies 2 type');
    await user.selectOptions(kind, 'smarthost');
    expect(screen.getByTestId('valid').textContent).toBe('invalid');
    await user.type(screen.getByLabelText('smarthost'), 'relay.example:25');
    await user.click(screen.getByRole('button', { name: 'Remove policies 1' }));
    expect(JSON.parse(screen.getByTestId('value').textContent!)).toEqual({
      policies: [{ type: 'smarthost', smarthost: 'relay.example:25' }],
    });
    expect(screen.getByTestId('valid').textContent).toBe('valid');
  });

  it('edits a nested match expression of the policy filter (recursive union)', async () => {
    const user = userEvent.setup({ delay: null });
    render(
      <Editor
        name="policy"
        initial={{ rules: [{ match: { tls: true }, action: 'log', message: 'x' }] }}
      />,
    );
    await user.selectOptions(screen.getByLabelText('match kind'), 'not');
    await user.selectOptions(screen.getByLabelText('not kind'), 'rcpt_domain');
    await user.click(screen.getByRole('button', { name: 'Add to rcpt domain' }));
    await user.type(screen.getByLabelText('rcpt domain 1'), 'example.org');
    expect(JSON.parse(screen.getByTestId('value').textContent!).rules[0].match).toEqual({
      not: { rcpt_domain: ['example.org'] },
    });
    expect(screen.getByTestId('valid').textContent).toBe('valid');
  });
});
