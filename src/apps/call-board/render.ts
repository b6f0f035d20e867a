/**
 * The board on screen: the active calls with their parties, state and running duration; each queue with its
 * waiting callers and their waits, and its agents with their pause state. Every control is a real button in
 * reading order; rows are kept across refreshes (dom.ts) so focus and a half-typed transfer number survive.
 * Whatever the PBX cannot say is said in words, never shown as an empty list that would read as "nobody".
 */
import type { Call, QueueCall, QueueMember } from '../../backends/model.js';
import { attr, h, newId, type Row, syncList, text } from './dom.js';
import { clock, DIRECTION_LABEL, MEMBER_STATE_LABEL, numberText, partyText, secondsSince, STATE_LABEL } from './format.js';
import type { CallsData, QueueData } from './results.js';

/** A part of the board as last read: its data, or why it could not be read (and when). */
export interface Part<T> {
  data?: T | undefined;
  error?: string | undefined;
  /** When it was read (ms, Date.now()): running durations count from here. */
  at: number;
}

export interface QueuePart extends Part<QueueData> {
  name: string;
}

export interface BoardActions {
  hangup(call: Call): void;
  transfer(call: Call, to: string): void;
  pause(queue: string, member: QueueMember): void;
}

/** What a call row or member row is doing right now ("Hanging up…"); keyed like the rows. */
export type Busy = ReadonlyMap<string, string>;

export const callKey = (c: Call) => `call:${c.id}`;
export const memberKey = (queue: string, m: QueueMember) => `member:${queue}:${m.user}`;

/** A sentence from a PBX or server note, starting with a capital and ending with a full stop. */
function sentence(s: string): string {
  const t = s.trim();
  if (!t) return t;
  const cap = t[0]!.toUpperCase() + t.slice(1);
  return /[.!?]$/.test(cap) ? cap : `${cap}.`;
}

/** A running clock: its base seconds at `at`, ticked by Board.tick(). */
function running(el: HTMLElement, seconds: number | undefined, at: number): void {
  attr(el, 'data-base', seconds === undefined ? undefined : String(seconds));
  attr(el, 'data-at', String(at));
  text(el, seconds === undefined ? '' : clock(seconds + (Date.now() - at) / 1000));
}

export class Board {
  private readonly root: HTMLElement;
  private readonly title = h('span', { class: 'pbx' });
  /** Not a live region: it changes every second or two, and a screen reader would read it out each time. */
  private readonly status = h('p', { class: 'status' });
  private readonly notice = h('p', { class: 'notice', role: 'status', 'aria-live': 'polite', hidden: true });
  private readonly callsHeading = h('h2', { tabindex: '-1' }, 'Calls');
  private readonly callsCount = h('span', { class: 'count' });
  private readonly callsList = h('ul', { class: 'calls', 'aria-labelledby': 'calls-h' });
  private readonly callsNote = h('p', { class: 'note' });
  private readonly queuesHeading = h('h2', { tabindex: '-1', id: 'queues-h' }, 'Queues');
  private readonly queuesList = h('div', { class: 'queues' });
  private readonly queuesNote = h('p', { class: 'note' });
  private readonly dialog = h('dialog', { class: 'confirm', 'aria-labelledby': 'confirm-t', 'aria-describedby': 'confirm-q' });
  private readonly question = h('p', { id: 'confirm-q' });
  private readonly yes = h('button', { type: 'submit', value: 'yes', class: 'danger' });
  private busy: Busy = new Map();

  constructor(
    host: HTMLElement,
    private readonly actions: BoardActions,
  ) {
    this.callsHeading.id = 'calls-h';
    this.callsHeading.append(' ', this.callsCount);
    const no = h('button', { type: 'submit', value: 'no' }, 'Cancel');
    this.dialog.append(
      h('form', { method: 'dialog' }, h('h2', { id: 'confirm-t' }, 'Please confirm'), this.question, h('div', { class: 'buttons' }, no, this.yes)),
    );
    this.root = h(
      'main',
      { class: 'board' },
      h('header', { class: 'top' }, h('h1', {}, 'Call board ', this.title), this.status),
      this.notice,
      h('section', { class: 'part', 'aria-labelledby': 'calls-h' }, this.callsHeading, this.callsList, this.callsNote),
      h('section', { class: 'part', 'aria-labelledby': 'queues-h' }, this.queuesHeading, this.queuesNote, this.queuesList),
      this.dialog,
    );
    host.replaceChildren(this.root);
  }

  setTitle(pbx: string | undefined): void {
    text(this.title, pbx ?? '');
  }

  setStatus(message: string, kind: 'live' | 'stale' | 'off'): void {
    text(this.status, message);
    attr(this.status, 'data-kind', kind);
  }

  /** The outcome of an action, for the person who clicked (errors stay until the next outcome). */
  say(message: string, kind: 'ok' | 'error' | 'wait'): void {
    this.notice.hidden = !message;
    text(this.notice, message);
    attr(this.notice, 'data-kind', kind);
    attr(this.notice, 'role', kind === 'error' ? 'alert' : 'status');
  }

  setBusy(busy: Busy): void {
    this.busy = busy;
  }

  /** Ask the person; resolves true only on the confirm button (Escape and Cancel are no). */
  confirm(question: string, yesLabel: string): Promise<boolean> {
    text(this.question, question);
    text(this.yes, yesLabel);
    this.dialog.returnValue = '';
    return new Promise((resolve) => {
      this.dialog.addEventListener('close', () => resolve(this.dialog.returnValue === 'yes'), { once: true });
      this.dialog.showModal();
      // The safe answer has the focus: Enter or Space on a dialog that just opened cancels.
      (this.dialog.querySelector('button[value="no"]') as HTMLButtonElement).focus();
    });
  }

  // ---------------------------------------------------------------- calls

  renderCalls(part: Part<CallsData> | undefined, scope: { user?: string | undefined; pbx?: string | undefined }): void {
    this.callsAt = part?.at ?? Date.now();
    const data = part?.data;
    const user = data?.user ?? scope.user;
    text(this.callsHeading.firstChild as Text, user ? `Calls of ${user}` : `Calls${scope.pbx ? ` on ${scope.pbx}` : ''}`);
    const calls = data?.calls ?? [];
    text(this.callsCount, data ? String(data.total ?? calls.length) : '');
    syncList(this.callsList, calls, callKey, (c) => this.callRow(c), this.callsHeading);
    const notes = [
      part?.error ? `Could not read the calls: ${part.error}` : '',
      data && calls.length === 0 ? 'No active calls.' : '',
      data?.truncated ? sentence(data.truncated) : '',
      !part ? 'Reading the calls…' : '',
    ].filter(Boolean);
    text(this.callsNote, notes.join(' '));
    attr(this.callsNote, 'data-kind', part?.error ? 'error' : undefined);
  }

  /** When the calls being drawn were read: their running durations count from here. */
  private callsAt = 0;

  private callRow(first: Call): Row<Call> {
    const key = callKey(first);
    const badge = h('span', { class: 'badge' });
    const partiesId = newId('parties');
    const from = h('span', { class: 'from' });
    const to = h('span', { class: 'to' });
    const parties = h('span', { class: 'parties', id: partiesId }, from, h('span', { class: 'arrow', 'aria-hidden': 'true' }, ' → '), h('span', { class: 'sr' }, ' to '), to);
    const dur = h('span', { class: 'dur', title: 'Duration' });
    const meta = h('span', { class: 'meta' });
    const doing = h('span', { class: 'doing', 'aria-live': 'polite' });
    const hang = h('button', { type: 'button', class: 'danger', 'aria-describedby': partiesId }, 'Hang up');
    const xfer = h('button', { type: 'button', 'aria-expanded': 'false', 'aria-describedby': partiesId }, 'Transfer…');
    const inputId = newId('to');
    const input = h('input', { id: inputId, type: 'text', inputmode: 'tel', autocomplete: 'off', maxlength: '40', required: true, placeholder: 'extension or number' });
    const cancel = h('button', { type: 'button' }, 'Cancel');
    const form = h('form', { class: 'xfer', hidden: true }, h('label', { for: inputId }, 'Transfer to'), input, h('button', { type: 'submit' }, 'Transfer'), cancel);
    const el = h('li', { class: 'call' }, h('div', { class: 'line' }, badge, parties, dur), h('div', { class: 'line foot' }, meta, doing, h('span', { class: 'actions' }, hang, xfer)), form);
    let current = first;
    const openForm = (open: boolean) => {
      form.hidden = !open;
      attr(xfer, 'aria-expanded', String(open));
      if (open) input.focus();
      else input.value = '';
    };
    hang.addEventListener('click', () => this.actions.hangup(current));
    xfer.addEventListener('click', () => openForm(form.hidden));
    cancel.addEventListener('click', () => {
      openForm(false);
      xfer.focus();
    });
    form.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        openForm(false);
        xfer.focus();
      }
    });
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const number = input.value.trim();
      if (!number) return input.focus();
      openForm(false);
      xfer.focus();
      this.actions.transfer(current, number);
    });
    return {
      el,
      update: (c) => {
        current = c;
        attr(el, 'data-state', c.state);
        text(badge, STATE_LABEL[c.state]);
        text(from, partyText(c.from));
        text(to, partyText(c.to));
        running(dur, c.durationSeconds, this.callsAt);
        text(meta, [c.direction ? DIRECTION_LABEL[c.direction] : '', c.queue ? `via queue ${c.queue}` : '', c.parkedSlot ? `parked at ${c.parkedSlot}` : ''].filter(Boolean).join(' · '));
        const busy = this.busy.get(key);
        text(doing, busy ?? '');
        hang.disabled = xfer.disabled = !!busy;
      },
    };
  }

  // ---------------------------------------------------------------- queues

  renderQueues(parts: readonly QueuePart[], note: string | undefined): void {
    text(this.queuesNote, note ?? '');
    this.queuesNote.hidden = !note;
    syncList(this.queuesList, parts, (p) => `queue:${p.name}`, (p) => this.queueCard(p.name), this.queuesHeading);
    this.queuesHeading.hidden = parts.length === 0 && !note;
  }

  private queueCard(name: string): Row<QueuePart> {
    const headingId = newId('queue');
    const summary = h('span', { class: 'qsum' });
    const waiting = h('ul', { class: 'waiting', 'aria-label': `Callers waiting in ${name}` });
    const waitingNote = h('p', { class: 'note' });
    const members = h('ul', { class: 'members', 'aria-label': `Agents of ${name}` });
    const membersNote = h('p', { class: 'note' });
    const error = h('p', { class: 'note', 'data-kind': 'error', hidden: true });
    const heading = h('h3', { id: headingId, tabindex: '-1' }, name);
    const el = h(
      'article',
      { class: 'queue', 'aria-labelledby': headingId },
      h('header', {}, heading, summary),
      error,
      h(
        'div',
        { class: 'cols' },
        h('div', {}, h('h4', {}, 'Waiting'), waiting, waitingNote),
        h('div', {}, h('h4', {}, 'Agents'), members, membersNote),
      ),
    );
    return {
      el,
      update: (p) => {
        const q = p.data;
        error.hidden = !p.error;
        text(error, p.error ? `Could not read this queue: ${p.error}` : '');
        if (!q) {
          text(summary, p.error ? '' : 'reading…');
          return;
        }
        const waits = q.calls.filter((c) => c.status === 'waiting').map((c) => c.waitedSeconds ?? secondsSince(c.enteredAt, p.at) ?? 0);
        const longest = waits.length ? Math.max(...waits) : secondsSince(q.oldestArrival, p.at);
        text(summary, `${q.waitingCount} waiting${q.waitingCount && longest !== undefined ? ` · longest ${clock(longest)}` : ''}`);
        attr(el, 'data-waiting', String(q.waitingCount));
        const order = [...q.calls].sort((a, b) => (a.status === b.status ? 0 : a.status === 'waiting' ? -1 : 1));
        syncList(waiting, order, (c) => `qcall:${c.id}`, () => this.queueCallRow(p.at), heading);
        const onlyCount = q.waitingCount > 0 && q.calls.length === 0;
        text(
          waitingNote,
          [
            onlyCount ? 'This PBX reports how many wait, not who.' : q.calls.length === 0 ? 'Nobody waiting.' : '',
            q.truncated ? sentence(q.truncated) : '',
          ]
            .filter(Boolean)
            .join(' '),
        );
        syncList(members, q.members ?? [], (m) => memberKey(q.queue, m), (m) => this.memberRow(q.queue, m), heading);
        text(
          membersNote,
          q.members === null
            ? sentence(q.membersNote ?? 'this PBX does not report queue members')
            : q.members.length === 0
              ? 'No agents in this queue.'
              : '',
        );
      },
    };
  }

  private queueCallRow(at: number): Row<QueueCall> {
    const who = h('span', { class: 'who' });
    const state = h('span', { class: 'sub' });
    const dur = h('span', { class: 'dur', title: 'Waited' });
    const el = h('li', { class: 'qcall' }, h('span', { class: 'main' }, who, state), dur);
    return {
      el,
      update: (c) => {
        attr(el, 'data-status', c.status);
        const number = numberText(c.caller);
        text(who, c.callerName ? `${c.callerName} · ${number}` : number);
        text(state, [c.status === 'waiting' ? 'waiting' : c.agent ? `answered by ${c.agent}` : 'answered', c.country].filter(Boolean).join(' · '));
        // A connected call's wait stopped when it was answered; a waiting one's runs on.
        const waited = c.waitedSeconds ?? secondsSince(c.enteredAt, at);
        if (c.status === 'waiting') running(dur, waited, at);
        else {
          attr(dur, 'data-base', undefined);
          text(dur, waited === undefined ? '' : clock(waited));
        }
      },
    };
  }

  private memberRow(queue: string, first: QueueMember): Row<QueueMember> {
    const key = memberKey(queue, first);
    const whoId = newId('agent');
    const who = h('span', { class: 'who', id: whoId });
    const sub = h('span', { class: 'sub' });
    const pause = h('span', { class: 'pstate' });
    const button = h('button', { type: 'button', 'aria-describedby': whoId });
    const el = h('li', { class: 'member' }, h('span', { class: 'main' }, who, sub), pause, button);
    let current = first;
    button.addEventListener('click', () => this.actions.pause(queue, current));
    return {
      el,
      update: (m) => {
        current = m;
        attr(el, 'data-paused', String(m.paused));
        const name = m.name && m.name !== m.user ? m.name : m.user;
        text(who, m.number ? `${name} · ${m.number}` : name);
        // The login is what pause_queues acts on; the phone's state is what the PBX says of it, where it says.
        const busy = this.busy.get(key);
        text(sub, [name === m.user ? '' : m.user, m.state ? MEMBER_STATE_LABEL[m.state] : '', busy ?? ''].filter(Boolean).join(' · '));
        text(pause, m.paused ? `Paused${m.reason ? `: ${m.reason}` : ''}` : 'Taking calls');
        text(button, m.paused ? 'Resume' : 'Pause');
        button.disabled = !!busy;
      },
    };
  }

  /** Move every running clock on (once a second). */
  tick(now = Date.now()): void {
    for (const el of this.root.querySelectorAll<HTMLElement>('.dur[data-base]')) {
      const base = Number(el.dataset.base);
      const at = Number(el.dataset.at);
      if (Number.isFinite(base) && Number.isFinite(at)) text(el, clock(base + (now - at) / 1000));
    }
  }

}
