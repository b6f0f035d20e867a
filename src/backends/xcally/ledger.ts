/**
 * What the xcally adapter knows of the agent's calls beyond what the phone bar says. The only channel status the
 * vendor doc shows is ACTIVE, which a phone bar may report for a ringing, a held and a connected call alike; and
 * `holding` toggles. So the adapter keeps its own record: the holds it made, the calls it answered or took off
 * hold, the numbers it dialled, and the agent pause it set. A status word that does say more (HOLD, RINGING...),
 * where a phone bar sends one, is evidence too and corrects the record; ACTIVE alone never does.
 */
import type { CallState } from '../model.js';

/** How long a number this adapter dialled waits to show up in channels as the agent's outbound call. */
const PLACED_GRACE_MS = 15_000;

type Phase = 'ringing' | 'dialing' | 'connected' | 'on_hold';
const PHASES: ReadonlySet<CallState> = new Set<Phase>(['ringing', 'dialing', 'connected', 'on_hold']);

interface Entry {
  phase: Phase;
  /** 'adapter': this adapter's own action put the call there; 'phone bar': a status word said so. */
  by: 'adapter' | 'phone bar';
}

export class CallLedger {
  private readonly entries = new Map<string, Entry>();
  /** Numbers this adapter dialled (originate, atxfer), and when, until a call to them shows up in channels. */
  private readonly placed = new Map<string, number>();
  /** Calls this adapter placed, for as long as they last (the API reports no direction). */
  private readonly outboundIds = new Set<string>();
  /** The agent pause this adapter set with `holding` on an idle agent; undefined while it has set none. */
  paused: boolean | undefined;

  /**
   * The state of call `id`, from what the phone bar said of it (`said`: a state its status word names, or
   * undefined when the word says no more than that the call is there). A call the phone bar once named as
   * ringing, dialing or held, and now calls just ACTIVE, has left that phase: it is connected.
   */
  stateOf(id: string, said: CallState | undefined): CallState {
    if (said !== undefined) {
      if (PHASES.has(said)) this.entries.set(id, { phase: said as Phase, by: 'phone bar' });
      else this.entries.delete(id);
      return said;
    }
    const e = this.entries.get(id);
    if (!e) return 'unknown';
    if (e.by === 'phone bar' && e.phase !== 'connected') {
      this.entries.set(id, { phase: 'connected', by: 'phone bar' });
      return 'connected';
    }
    return e.phase;
  }

  /** Whether the record of call `id` comes from this adapter's own action (for honest messages). */
  byAdapter(id: string): boolean {
    return this.entries.get(id)?.by === 'adapter';
  }

  /** This adapter's action put call `id` in `phase` (answered, held, taken off hold). */
  did(id: string, phase: Phase): void {
    this.entries.set(id, { phase, by: 'adapter' });
  }

  /** This adapter is about to dial `n`. */
  dialling(n: string, now = Date.now()): void {
    this.placed.set(n, now);
  }

  /** The dial request for `n` surely failed: nothing will ring. */
  notDialled(n: string): void {
    this.placed.delete(n);
  }

  /** Whether call `id` with the other party `n` is one this adapter placed (marking it so when it first shows up). */
  outbound(id: string, n: string): boolean {
    if (this.outboundIds.has(id)) return true;
    if (!n || !this.placed.delete(n)) return false;
    this.outboundIds.add(id);
    return true;
  }

  /** Forget calls that are gone and dial requests that never showed up. */
  prune(live: ReadonlySet<string>, now = Date.now()): void {
    for (const id of this.outboundIds) if (!live.has(id)) this.outboundIds.delete(id);
    for (const id of this.entries.keys()) if (!live.has(id)) this.entries.delete(id);
    for (const [n, at] of this.placed) if (now - at > PLACED_GRACE_MS) this.placed.delete(n);
  }
}
