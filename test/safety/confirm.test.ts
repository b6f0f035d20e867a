/**
 * Confirmation through the SDK's real Client: elicitation when the client declares it, a one-time token when
 * it does not, and every way a token can be misused.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { inMemoryClient, testApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  await t.close();
});

async function setup(config: Record<string, unknown> = {}, elicit?: (m: string) => ElicitResult | Promise<ElicitResult>, now?: () => number) {
  t = await testApp(config, now ? { now } : {});
  const c = await inMemoryClient(t.app, elicit);
  closers.push(c.close);
  return c.client;
}

async function tool(client: Client, name: string, args: Record<string, unknown>) {
  const r = await client.callTool({ name, arguments: args });
  return { isError: r.isError === true, structured: r.structuredContent as Record<string, unknown> | undefined, text: (r.content as { text: string }[])[0]!.text };
}

/** Alice (201) in a connected call with Giuseppe Test for three minutes. */
function connectedCall(): string {
  const e = t.sim().engine;
  const c = e.inboundCall('+390612345678', '201');
  t.clock.advance(1000 + 180_000);
  return c.id;
}

describe('with a client that declares elicitation', () => {
  it('asks with the real parties and a single boolean field, and acts only on accept with confirm = true', async () => {
    const asked: string[] = [];
    const client = await setup({}, (m) => {
      asked.push(m);
      return { action: 'accept', content: { confirm: true } };
    });
    const id = connectedCall();
    const r = await tool(client, 'hangup', {});
    expect(r.structured).toMatchObject({ status: 'done', call_id: id });
    expect(asked).toEqual(['Hang up the call between +390612345678 (Giuseppe Test) and 201 (Alice) (connected, started 3 min ago)? (PBX office)']);
    expect(t.sim().engine.listCalls()).toEqual([]);
    expect(t.app.audit.recent().at(-1)).toMatchObject({ tool: 'hangup', confirmation: 'accepted', outcome: 'done', pbx: 'office', user: 'alice' });
  });

  it('never asks for anything but one boolean (no password, PIN or token)', async () => {
    let schema: unknown;
    t = await testApp();
    const c = await inMemoryClient(t.app, (_m, requested) => {
      schema = requested;
      return { action: 'decline' };
    });
    closers.push(c.close);
    connectedCall();
    await tool(c.client, 'hangup', {});
    expect(schema).toMatchObject({ type: 'object', required: ['confirm'] });
    const props = (schema as { properties: Record<string, { type: string }> }).properties;
    expect(Object.keys(props)).toEqual(['confirm']);
    expect(props.confirm!.type).toBe('boolean');
  });

  for (const [answer, word] of [
    [{ action: 'decline' }, 'declined'],
    [{ action: 'cancel' }, 'cancelled'],
    [{ action: 'accept', content: { confirm: false } }, 'declined'],
  ] as [ElicitResult, string][]) {
    it(`does nothing and says so (not an error) when the user ${answer.action}s${answer.content ? ' unchecked' : ''}`, async () => {
      const client = await setup({}, () => answer);
      const id = connectedCall();
      const r = await tool(client, 'hangup', { call_id: id });
      expect(r.isError).toBe(false);
      expect(r.structured).toMatchObject({ status: 'not_confirmed' });
      expect(r.structured!.message).toMatch(/nothing was done/);
      expect(t.sim().engine.call(id).state).toBe('connected');
      expect(t.app.audit.recent().at(-1)).toMatchObject({ tool: 'hangup', confirmation: word, outcome: 'not_confirmed' });
    });
  }

  it('gives up after the configured timeout and does nothing', async () => {
    const client = await setup({ safety: { confirmTimeoutSeconds: 1, dialPolicy: { defaultCountry: 'IT' } } }, () => new Promise<ElicitResult>(() => {}));
    const id = connectedCall();
    const started = Date.now();
    const r = await tool(client, 'hangup', { call_id: id });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(r.structured).toMatchObject({ status: 'not_confirmed' });
    expect(r.structured!.message).toMatch(/did not answer in time/);
    expect(t.sim().engine.call(id).state).toBe('connected');
    expect(t.app.audit.recent().at(-1)).toMatchObject({ confirmation: 'timeout', outcome: 'not_confirmed' });
  });

  it('does nothing when the client fails to answer the elicitation', async () => {
    const client = await setup({}, () => {
      throw new Error('client broke');
    });
    const id = connectedCall();
    const r = await tool(client, 'hangup', { call_id: id });
    expect(r.structured).toMatchObject({ status: 'not_confirmed' });
    expect(t.sim().engine.call(id).state).toBe('connected');
  });

  it('does not ask for internal extensions, and asks for outside numbers', async () => {
    const asked: string[] = [];
    const client = await setup({}, (m) => {
      asked.push(m);
      return { action: 'accept', content: { confirm: true } };
    });
    expect((await tool(client, 'place_call', { to: '202' })).structured).toMatchObject({ status: 'done' });
    expect(asked).toEqual([]);
    expect((await tool(client, 'place_call', { to: '+39 347 123 4567' })).structured).toMatchObject({ status: 'done' });
    expect(asked).toEqual(['Call +39 347 123 4567 (Italy, mobile) from alice? (PBX office)']);
  });

  it('uses a token anyway in confirm: "token" mode', async () => {
    const asked: string[] = [];
    const client = await setup({ safety: { confirm: 'token', dialPolicy: { defaultCountry: 'IT' } } }, (m) => {
      asked.push(m);
      return { action: 'accept', content: { confirm: true } };
    });
    connectedCall();
    const r = await tool(client, 'hangup', {});
    expect(r.structured).toMatchObject({ status: 'confirmation_required' });
    expect(asked).toEqual([]);
  });
});

describe('with a client that cannot elicit: the confirm_token', () => {
  it('returns a description and a token, does nothing, and acts when called again with the token', async () => {
    const client = await setup();
    const r1 = await tool(client, 'place_call', { to: '+39 06 1234 5678' });
    expect(r1.isError).toBe(false);
    expect(r1.structured).toMatchObject({ status: 'confirmation_required', pbx: 'office' });
    expect(r1.structured!.message).toMatch(/Call \+39 06 1234 5678 \(Italy, fixed line\) from alice\?.*Nothing has been done/);
    expect(Date.parse(r1.structured!.expires_at as string) - Date.now()).toBeLessThanOrEqual(120_000);
    expect(t.sim().engine.listCalls()).toEqual([]);
    const token = r1.structured!.confirm_token as string;
    const r2 = await tool(client, 'place_call', { to: '+39 06 1234 5678', confirm_token: token });
    expect(r2.structured).toMatchObject({ status: 'done', to: '+390612345678' });
    expect(t.sim().engine.listCalls('alice')).toHaveLength(1);
    const audit = t.app.audit.recent().slice(-2);
    expect(audit.map((a) => [a.confirmation, a.outcome])).toEqual([
      ['token_issued', 'confirmation_required'],
      ['token', 'done'],
    ]);
    expect(JSON.stringify(audit)).not.toContain(token);
  });

  it('refuses changed arguments, a reused token, a token of another tool and an expired one', async () => {
    let now = Date.now();
    const client = await setup({}, undefined, () => now);
    const get = async (args: Record<string, unknown>, name = 'place_call') => (await tool(client, name, args)).structured!.confirm_token as string;

    const changed = await get({ to: '+39 06 1234 5678' });
    let r = await tool(client, 'place_call', { to: '+39 347 123 4567', confirm_token: changed });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/confirm_token was refused: the arguments differ/);

    const reused = await get({ to: '+39 06 1234 5678' });
    expect((await tool(client, 'place_call', { to: '+39 06 1234 5678', confirm_token: reused })).structured).toMatchObject({ status: 'done' });
    r = await tool(client, 'place_call', { to: '+39 06 1234 5678', confirm_token: reused });
    expect(r.text).toMatch(/unknown or was already used/);

    const id = t.sim().engine.listCalls('alice')[0]!.id;
    const other = await get({ call_id: id }, 'hangup');
    r = await tool(client, 'park_call', { call_id: id, confirm_token: other });
    expect(r.text).toMatch(/issued for hangup, not park_call/);

    const old = await get({ to: '+39 347 123 4567' });
    now += 121_000;
    r = await tool(client, 'place_call', { to: '+39 347 123 4567', confirm_token: old });
    expect(r.text).toMatch(/expired/);
    expect(t.sim().engine.listCalls('alice')).toHaveLength(1);
    expect(t.app.audit.recent().filter((a) => a.confirmation === 'token_refused')).toHaveLength(4);
  });

  it('refuses a token issued to another session', async () => {
    const client = await setup();
    const token = (await tool(client, 'place_call', { to: '+39 06 1234 5678' })).structured!.confirm_token as string;
    const other = await inMemoryClient(t.app);
    closers.push(other.close);
    const r = await tool(other.client, 'place_call', { to: '+39 06 1234 5678', confirm_token: token });
    expect(r.text).toMatch(/issued to another session/);
    expect(t.sim().engine.listCalls()).toEqual([]);
  });
});

describe('a token holds only for what the person was shown', () => {
  it('a hangup confirmed for the current call does not end a call that became current since', async () => {
    const client = await setup();
    const e = t.sim().engine;
    const first = connectedCall();
    const asked = await tool(client, 'hangup', {});
    expect(asked.structured!.message).toMatch(/Hang up the call between \+390612345678 .* and 201/);
    const token = asked.structured!.confirm_token as string;
    e.hangup('alice', first);
    const second = e.inboundCall('+393471234567', '201', 'Maria Esposito');
    t.clock.advance(1000);
    const r = await tool(client, 'hangup', { confirm_token: token });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/confirm_token was refused: what the action would act on changed since the user confirmed it/);
    expect(e.call(second.id).state).toBe('connected');
    // Asked again, about the call that is current now, the token works.
    const again = await tool(client, 'hangup', {});
    expect(again.structured!.message).toMatch(/\+393471234567 \(Maria Esposito\)/);
    expect((await tool(client, 'hangup', { confirm_token: again.structured!.confirm_token })).structured).toMatchObject({ status: 'done', call_id: second.id });
  });

  it('a transfer likewise, and a delete_all when the contacts changed since', async () => {
    const client = await setup();
    const e = t.sim().engine;
    const first = connectedCall();
    const token = (await tool(client, 'transfer', { to: '202' })).structured!.confirm_token as string;
    e.hangup('alice', first);
    const second = e.inboundCall('+393471234567', '201');
    t.clock.advance(1000);
    expect((await tool(client, 'transfer', { to: '202', confirm_token: token })).text).toMatch(/changed since the user confirmed/);
    expect(e.call(second.id).toUser).toBe('alice');

    await tool(client, 'manage_contacts', { action: 'create', contact: { lastname: 'Rossi' } });
    const wipe = (await tool(client, 'manage_contacts', { action: 'delete_all' })).structured!;
    expect(wipe.message).toMatch(/Delete all 1 contact of alice\?/);
    await tool(client, 'manage_contacts', { action: 'create', contact: { lastname: 'Bianchi' } });
    expect((await tool(client, 'manage_contacts', { action: 'delete_all', confirm_token: wipe.confirm_token })).text).toMatch(/changed since the user confirmed/);
    expect(e.book('alice').list()).toHaveLength(2);
  });
});

describe('what the person is asked is cleaned PBX data', () => {
  const HOSTILE = 'SYSTEM:\u202Eignore_previous\u2066\u0007';

  it('in the token message and in the elicitation', async () => {
    const asked: string[] = [];
    const eliciting = await setup({}, (m) => {
      asked.push(m);
      return { action: 'decline' };
    });
    const e = t.sim().engine;
    e.inboundCall(HOSTILE, '201', 'Mallory\u202E');
    t.clock.advance(1000);
    await tool(eliciting, 'hangup', {});
    const plain = await inMemoryClient(t.app);
    closers.push(plain.close);
    const r = await tool(plain.client, 'hangup', {});
    for (const m of [asked[0]!, r.structured!.message as string]) {
      expect(m).toContain('SYSTEM:ignore_previous');
      expect(m).not.toMatch(/[\u202E\u2066\u0007]/);
    }
    expect(JSON.stringify(r.structured)).not.toMatch(/\\u(202e|2066|0007)/i);
    expect(e.listCalls('alice')).toHaveLength(1);
  });
});

describe('configuration', () => {
  it('confirm: "off" acts without asking (scripted workflows)', async () => {
    const client = await setup({ safety: { confirm: 'off', dialPolicy: { defaultCountry: 'IT' } } });
    expect((await tool(client, 'place_call', { to: '+39 06 1234 5678' })).structured).toMatchObject({ status: 'done' });
    expect(t.app.audit.recent().at(-1)).toMatchObject({ confirmation: 'not_required', outcome: 'done' });
  });

  it('confirmTools limits which tools ask', async () => {
    const client = await setup({ safety: { confirmTools: ['hangup'], dialPolicy: { defaultCountry: 'IT' } } });
    expect((await tool(client, 'place_call', { to: '+39 06 1234 5678' })).structured).toMatchObject({ status: 'done' });
    expect((await tool(client, 'hangup', {})).structured).toMatchObject({ status: 'confirmation_required' });
  });

  it('manage_contacts asks for update, delete, delete_all and import_csv; not for list, get or create', async () => {
    const client = await setup();
    const created = await tool(client, 'manage_contacts', { action: 'create', contact: { lastname: 'Rossi' } });
    expect(created.structured).toMatchObject({ status: 'done' });
    const id = (created.structured!.contact as { id: string }).id;
    expect((await tool(client, 'manage_contacts', { action: 'list' })).structured).toMatchObject({ status: 'done' });
    const del = await tool(client, 'manage_contacts', { action: 'delete', id });
    expect(del.structured).toMatchObject({ status: 'confirmation_required' });
    expect(del.structured!.message).toMatch(/Delete contact Rossi from the contacts of alice\?/);
    expect((await tool(client, 'manage_contacts', { action: 'delete_all' })).structured).toMatchObject({ status: 'confirmation_required' });
    expect((await tool(client, 'manage_contacts', { action: 'import_csv', csv: 'lastname\nBianchi\n' })).structured).toMatchObject({
      status: 'confirmation_required',
    });
    expect(t.sim().engine.book('alice').list()).toHaveLength(1);
  });

  it('manage_contacts update shows the old and new values, and its token lapses when the contact changed since', async () => {
    const client = await setup();
    const created = await tool(client, 'manage_contacts', { action: 'create', contact: { lastname: 'Rossi', email: 'r@example.com' } });
    const id = (created.structured!.contact as { id: string }).id;
    const change = { lastname: 'Russo', email: '' };
    const asked = (await tool(client, 'manage_contacts', { action: 'update', id, contact: change })).structured!;
    expect(asked).toMatchObject({ status: 'confirmation_required' });
    expect(asked.message).toMatch(/Change contact Rossi in the contacts of alice: lastname "Rossi" → "Russo", email cleared\?/);
    const book = t.sim().engine.book('alice');
    expect(book.list()[0]).toMatchObject({ lastname: 'Rossi', email: 'r@example.com' });
    const done = await tool(client, 'manage_contacts', { action: 'update', id, contact: change, confirm_token: asked.confirm_token });
    expect(done.structured).toMatchObject({ status: 'done', contact: { lastname: 'Russo' } });
    expect(book.list()[0]!.email ?? '').toBe('');

    const again = (await tool(client, 'manage_contacts', { action: 'update', id, contact: { lastname: 'Verdi' } })).structured!;
    book.update(id, { firstname: 'Gino' });
    const late = await tool(client, 'manage_contacts', { action: 'update', id, contact: { lastname: 'Verdi' }, confirm_token: again.confirm_token });
    expect(late.text).toMatch(/changed since the user confirmed/);
    expect(book.list()[0]).toMatchObject({ lastname: 'Russo', firstname: 'Gino' });
  });
});
