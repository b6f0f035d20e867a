/** The shape of a resource: a URI template over a PBX, the capability it requires, how to list, read and watch it. */
import type { Capability, Change } from '../backends/backend.js';
import type { PbxHandle } from '../backends/registry.js';

export interface ResourceListing {
  uri: string;
  name: string;
  title?: string;
}

export interface ResourceDef {
  name: string;
  title: string;
  description: string;
  /** e.g. pbx://{pbx}/queues/{queue} */
  template: string;
  /** The PBX capability it requires: a PBX without it has no such resource. Undefined: every PBX has it. */
  requires?: Capability;
  /**
   * It shows what every user of the PBX is doing (all active calls): a caller bound to its own user (an OAuth
   * principal without the supervise scope) may not read it.
   */
  everyUser?: boolean;
  /** Concrete instances on one PBX, for resources/list. */
  list(pbx: PbxHandle): Promise<ResourceListing[]>;
  read(pbx: PbxHandle, vars: Record<string, string>, signal?: AbortSignal): Promise<unknown>;
  /** Whether a pushed change touches the instance with these variables. */
  affectedBy(change: Change, vars: Record<string, string>): boolean;
}

/** Items one resource read hands a client at most; the rest are counted (issue 13: no PBX answer floods a model). */
export const RESOURCE_LIST_LIMIT = 200;

/** `{[key]: the first RESOURCE_LIST_LIMIT items, total, truncated?}`: a resource's list, bounded and counted. */
export function listed<K extends string, T>(key: K, items: readonly T[]): { [k in K]: T[] } & { total: number; truncated?: string } {
  const total = items.length;
  const kept = items.slice(0, RESOURCE_LIST_LIMIT);
  return {
    [key]: kept,
    total,
    ...(total > kept.length ? { truncated: `showing ${kept.length} of ${total} ${key}; the matching tool takes a limit` } : {}),
  } as { [k in K]: T[] } & { total: number; truncated?: string };
}

/** Build a URI from a template, percent-encoding each variable. */
export function fillTemplate(template: string, vars: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_m, k: string) => encodeURIComponent(vars[k] ?? ''));
}

/** Templates compiled once: every resources/read and subscribe matches the URI against each of them. */
const compiled = new Map<string, { re: RegExp; names: string[] }>();

function compile(template: string): { re: RegExp; names: string[] } {
  let c = compiled.get(template);
  if (c) return c;
  const names: string[] = [];
  const re = new RegExp(
    `^${template
      .split(/(\{\w+\})/)
      .map((part) => {
        const m = /^\{(\w+)\}$/.exec(part);
        if (m) {
          names.push(m[1]!);
          return '([^/]+)';
        }
        return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('')}$`,
  );
  compiled.set(template, (c = { re, names }));
  return c;
}

/** Match a URI against a template; returns the decoded variables, or undefined. */
export function matchTemplate(template: string, uri: string): Record<string, string> | undefined {
  const { re, names } = compile(template);
  const m = re.exec(uri);
  if (!m) return undefined;
  const vars: Record<string, string> = {};
  try {
    names.forEach((n, i) => (vars[n] = decodeURIComponent(m[i + 1]!)));
  } catch {
    return undefined;
  }
  return vars;
}

/** The first of `defs` whose template `uri` matches, with its variables: the one reading of which resource a URI names. */
export function matchResource(defs: readonly ResourceDef[], uri: string): { def: ResourceDef; vars: Record<string, string> } | undefined {
  for (const def of defs) {
    const vars = matchTemplate(def.template, uri);
    if (vars) return { def, vars };
  }
  return undefined;
}
