/**
 * The tools, resources and prompts the official conformance server scenarios call by fixed name
 * (@modelcontextprotocol/conformance, the "everything server" contract, for 2025-11-25 and 2026-07-28). They are
 * served through the server's `extend` option by the same tools/call, resources/read, prompts/get and completion
 * handlers as the shipped tools, and only from test/, so the shipped server (dist/) never offers them. Names,
 * arguments and payloads are the ones the scenarios check.
 */
import { randomUUID } from 'node:crypto';
import {
  acceptedContent,
  type CallToolResult,
  CLIENT_CAPABILITIES_META_KEY,
  type ClientCapabilities,
  createRequestStateCodec,
  type ElicitRequestFormParams,
  inputRequired,
  type InputRequests,
  inputResponse,
  ProtocolError,
  ProtocolErrorCode,
  type ServerContext,
  type Tool,
} from '@modelcontextprotocol/server';
import type { ExtraPrompt, ExtraResource, ExtraTool, ServerOptions } from '../../src/server.js';

/** A 1x1 red RGBA PNG. */
export const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';

/** 10 ms of silence as a valid 8 kHz mono 16-bit PCM WAV (tools-call-audio insists on audio/wav). */
export function silentWav(): string {
  const samples = 80;
  const data = samples * 2;
  const b = Buffer.alloc(44 + data);
  b.write('RIFF', 0, 'ascii');
  b.writeUInt32LE(36 + data, 4);
  b.write('WAVE', 8, 'ascii');
  b.write('fmt ', 12, 'ascii');
  b.writeUInt32LE(16, 16); // fmt chunk size
  b.writeUInt16LE(1, 20); // PCM
  b.writeUInt16LE(1, 22); // mono
  b.writeUInt32LE(8000, 24); // sample rate
  b.writeUInt32LE(16000, 28); // byte rate
  b.writeUInt16LE(2, 32); // block align
  b.writeUInt16LE(16, 34); // bits per sample
  b.write('data', 36, 'ascii');
  b.writeUInt32LE(data, 40);
  return b.toString('base64');
}

export const WATCHED_URI = 'test://watched-resource';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const text = (t: string): CallToolResult => ({ content: [{ type: 'text', text: t }] });

const NO_ARGS: Tool['inputSchema'] = { type: 'object', properties: {} };

function tool(name: string, description: string, call: ExtraTool['call'], inputSchema: Tool['inputSchema'] = NO_ARGS): ExtraTool {
  return { tool: { name, description: `${description} (conformance fixture)`, inputSchema }, call };
}

/**
 * The fixtures' own signed state (their MRTR scenarios check that a tampered one is refused); a key per run.
 * The guard's confirmations use the app's key, never this one.
 */
const stateCodec = createRequestStateCodec<Record<string, unknown>>({ key: randomUUID() + randomUUID(), ttlSeconds: 600 });

/** The verified payload of a retry's requestState, undefined without one; -32602 for one this run did not sign. */
async function verifiedState(ctx: ServerContext): Promise<Record<string, unknown> | undefined> {
  const raw: unknown = ctx.mcpReq.requestState();
  if (raw === undefined) return undefined;
  try {
    return await stateCodec.verify(String(raw), ctx);
  } catch {
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, 'Invalid requestState: it failed integrity verification (tampered or expired)');
  }
}

const nameForm = (message: string) =>
  inputRequired.elicit({ message, requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } });

/** Ask the client's user over its 2025 session and report the answer as the scenarios word it. */
async function elicit(ctx: ServerContext, params: ElicitRequestFormParams, prefix = 'Elicitation completed:'): Promise<CallToolResult> {
  const r = await ctx.mcpReq.elicitInput(params);
  return text(`${prefix} action=${r.action}, content=${JSON.stringify(r.content ?? {})}`);
}

/** 2025-11-25 tools (server-initiated requests over a session, notifications on the request's own stream). */
function legacyTools(): ExtraTool[] {
  return [
    tool('test_simple_text', 'Returns a fixed text', async () => text('This is a simple text response for testing.')),
    tool('test_image_content', 'Returns a PNG image', async () => ({ content: [{ type: 'image', data: PNG_BASE64, mimeType: 'image/png' }] })),
    tool('test_audio_content', 'Returns a WAV clip', async () => ({ content: [{ type: 'audio', data: silentWav(), mimeType: 'audio/wav' }] })),
    tool('test_embedded_resource', 'Returns an embedded resource', async () => ({
      content: [{ type: 'resource', resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' } }],
    })),
    tool('test_multiple_content_types', 'Returns text, image and resource content', async () => ({
      content: [
        { type: 'text', text: 'Multiple content types test:' },
        { type: 'image', data: PNG_BASE64, mimeType: 'image/png' },
        { type: 'resource', resource: { uri: 'test://mixed-content-resource', mimeType: 'application/json', text: JSON.stringify({ test: 'data', value: 123 }) } },
      ],
    })),
    tool('test_tool_with_logging', 'Sends three info log notifications while it runs', async (_args, ctx) => {
      for (const [i, data] of ['Tool execution started', 'Tool processing data', 'Tool execution completed'].entries()) {
        if (i) await sleep(50);
        await ctx.mcpReq.notify({ method: 'notifications/message', params: { level: 'info', logger: 'conformance', data } });
      }
      return text('Tool with logging executed successfully');
    }),
    // A failing tool is a result the model sees (isError), not a protocol error.
    tool('test_error_handling', 'Always fails', async () => ({
      content: [{ type: 'text', text: 'This tool intentionally returns an error for testing' }],
      isError: true,
    })),
    tool('test_tool_with_progress', 'Reports progress 0, 50 and 100 of 100', async (_args, ctx) => {
      const token = ctx.mcpReq._meta?.progressToken;
      for (const progress of [0, 50, 100]) {
        if (token !== undefined) await ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken: token, progress, total: 100 } });
        if (progress < 100) await sleep(50);
      }
      return text('Tool with progress executed successfully');
    }),
    tool(
      'test_sampling',
      'Asks the client to sample an LLM',
      async (args, ctx) => {
        const r = await ctx.mcpReq.send({
          method: 'sampling/createMessage',
          params: { messages: [{ role: 'user', content: { type: 'text', text: String(args.prompt ?? '') } }], maxTokens: 100 },
        });
        const answer = Array.isArray(r.content) ? r.content : [r.content];
        return text(`LLM response: ${answer.map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join(' ')}`);
      },
      { type: 'object', properties: { prompt: { type: 'string' } }, required: ['prompt'] },
    ),
    tool(
      'test_elicitation',
      'Asks the user for a name and an e-mail address',
      (args, ctx) =>
        elicit(
          ctx,
          {
            message: String(args.message ?? ''),
            requestedSchema: {
              type: 'object',
              properties: { username: { type: 'string', description: "User's response" }, email: { type: 'string', description: "User's email address" } },
              required: ['username', 'email'],
            },
          },
          'User response:',
        ),
      { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] },
    ),
    tool('test_elicitation_sep1034_defaults', 'Elicits one field of each primitive type, each with a default', (_args, ctx) =>
      elicit(ctx, {
        message: 'Please review your details (defaults filled in)',
        requestedSchema: {
          type: 'object',
          properties: {
            name: { type: 'string', description: 'Name', default: 'John Doe' },
            age: { type: 'integer', description: 'Age', default: 30 },
            score: { type: 'number', description: 'Score', default: 95.5 },
            status: { type: 'string', description: 'Status', enum: ['active', 'inactive', 'pending'], default: 'active' },
            verified: { type: 'boolean', description: 'Verified', default: true },
          },
        },
      }),
    ),
    tool('test_elicitation_sep1330_enums', 'Elicits the five enum shapes of SEP-1330', (_args, ctx) =>
      elicit(ctx, {
        message: 'Please choose',
        requestedSchema: {
          type: 'object',
          properties: {
            untitledSingle: { type: 'string', enum: ['option1', 'option2', 'option3'] },
            titledSingle: {
              type: 'string',
              oneOf: [
                { const: 'value1', title: 'First Option' },
                { const: 'value2', title: 'Second Option' },
                { const: 'value3', title: 'Third Option' },
              ],
            },
            legacyEnum: { type: 'string', enum: ['opt1', 'opt2', 'opt3'], enumNames: ['Option One', 'Option Two', 'Option Three'] },
            untitledMulti: { type: 'array', items: { type: 'string', enum: ['option1', 'option2', 'option3'] } },
            titledMulti: {
              type: 'array',
              items: {
                anyOf: [
                  { const: 'value1', title: 'First Choice' },
                  { const: 'value2', title: 'Second Choice' },
                  { const: 'value3', title: 'Third Choice' },
                ],
              },
            },
          },
        } as ElicitRequestFormParams['requestedSchema'],
      }),
    ),
  ];
}

/** 2026-07-28 tools: input through multi round-trip requests (input_required, inputResponses, requestState). */
function modernTools(): ExtraTool[] {
  return [
    // Needs sampling, which the scenario's client does not declare: the SDK refuses it (-32021, HTTP 400).
    tool('test_missing_capability', 'Requires the sampling client capability', async (_args, ctx) => {
      if (ctx.mcpReq.inputResponses?.llm_answer !== undefined) return text('sampling round-trip complete');
      return inputRequired({
        inputRequests: {
          llm_answer: inputRequired.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: 'Reply with: pong' } }], maxTokens: 16 }),
        },
      });
    }),
    tool('test_streaming_elicitation', 'Answers on its response stream with nothing but its result', async () => text('result frames only')),
    tool('test_logging_tool', 'Logs through the request, gated on its _meta log level', async (_args, ctx) => {
      await ctx.mcpReq.log('info', 'test_logging_tool ran');
      return text('logged (delivered only when the request set a log level)');
    }),
    // Anything but an accepted name asks again (missing, extra and invalid inputResponses scenarios use it too).
    tool('test_input_required_result_elicitation', 'Asks for a name in an MRTR round', async (_args, ctx) => {
      const name = acceptedContent<{ name: string }>(ctx.mcpReq.inputResponses, 'user_name')?.name;
      if (typeof name !== 'string') return inputRequired({ inputRequests: { user_name: nameForm('What is your name?') } });
      return text(`Hello, ${name}!`);
    }),
    tool('test_input_required_result_sampling', 'Asks for an LLM answer in an MRTR round', async (_args, ctx) => {
      const r = inputResponse(ctx.mcpReq.inputResponses, 'capital_question');
      if (r.kind !== 'sampling') {
        return inputRequired({
          inputRequests: {
            capital_question: inputRequired.createMessage({
              messages: [{ role: 'user', content: { type: 'text', text: 'What is the capital of France?' } }],
              maxTokens: 100,
            }),
          },
        });
      }
      const c = Array.isArray(r.result.content) ? r.result.content[0] : r.result.content;
      return text(`Sampling response: ${c?.type === 'text' ? c.text : '(no text)'}`);
    }),
    tool('test_input_required_result_list_roots', 'Asks for the client roots in an MRTR round', async (_args, ctx) => {
      const r = inputResponse(ctx.mcpReq.inputResponses, 'client_roots');
      if (r.kind !== 'roots') return inputRequired({ inputRequests: { client_roots: inputRequired.listRoots() } });
      return text(`Client roots: ${r.roots.map((x) => x.uri).join(', ')}`);
    }),
    tool('test_input_required_result_request_state', 'Round-trips a signed requestState', async (_args, ctx) => {
      const state = await verifiedState(ctx);
      const ok = acceptedContent<{ ok: boolean }>(ctx.mcpReq.inputResponses, 'confirm');
      if (state?.tool === 'request_state' && ok !== undefined) return text('state-ok: requestState verified and the confirmation received');
      return inputRequired({
        inputRequests: {
          confirm: inputRequired.elicit({ message: 'Please confirm', requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] } }),
        },
        requestState: await stateCodec.mint({ tool: 'request_state' }),
      });
    }),
    tool('test_input_required_result_multiple_inputs', 'Asks for elicitation, sampling and roots in one round', async (_args, ctx) => {
      const state = await verifiedState(ctx);
      const responses = ctx.mcpReq.inputResponses;
      const name = acceptedContent<{ name: string }>(responses, 'user_name')?.name;
      const greeting = inputResponse(responses, 'greeting');
      const roots = inputResponse(responses, 'client_roots');
      if (state?.tool === 'multiple_inputs' && typeof name === 'string' && greeting.kind === 'sampling' && roots.kind === 'roots') {
        return text(`Greeted ${name}; ${roots.roots.length} root(s)`);
      }
      return inputRequired({
        inputRequests: {
          user_name: nameForm('What is your name?'),
          greeting: inputRequired.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: 'Generate a greeting' } }], maxTokens: 50 }),
          client_roots: inputRequired.listRoots(),
        },
        requestState: await stateCodec.mint({ tool: 'multiple_inputs' }),
      });
    }),
    tool('test_input_required_result_multi_round', 'Two MRTR rounds, the state changing between them', async (_args, ctx) => {
      const state = await verifiedState(ctx);
      const round = state?.tool === 'multi_round' && typeof state.round === 'number' ? state.round : 0;
      if (round === 0) return inputRequired({ inputRequests: { step1: nameForm('Step 1: What is your name?') }, requestState: await stateCodec.mint({ tool: 'multi_round', round: 1 }) });
      if (round === 1) {
        const name = acceptedContent<{ name: string }>(ctx.mcpReq.inputResponses, 'step1')?.name ?? 'unknown';
        return inputRequired({
          inputRequests: {
            step2: inputRequired.elicit({
              message: 'Step 2: What is your favorite color?',
              requestedSchema: { type: 'object', properties: { color: { type: 'string' } }, required: ['color'] },
            }),
          },
          requestState: await stateCodec.mint({ tool: 'multi_round', round: 2, name }),
        });
      }
      const color = acceptedContent<{ color: string }>(ctx.mcpReq.inputResponses, 'step2')?.color ?? 'unknown';
      return text(`Multi-round complete: ${String(state?.name)} likes ${color}`);
    }),
    tool('test_input_required_result_tampered_state', 'Refuses a requestState that fails verification', async (_args, ctx) => {
      const state = await verifiedState(ctx);
      if (state?.tool === 'tampered_state' && acceptedContent(ctx.mcpReq.inputResponses, 'confirm') !== undefined) return text('integrity-ok');
      return inputRequired({
        inputRequests: {
          confirm: inputRequired.elicit({ message: 'Please confirm', requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] } }),
        },
        requestState: await stateCodec.mint({ tool: 'tampered_state' }),
      });
    }),
    tool('test_input_required_result_capabilities', 'Asks only for kinds of input the client declared', async (_args, ctx) => {
      if (ctx.mcpReq.inputResponses !== undefined) return text('Capability-aware input requests fulfilled');
      const declared = (ctx.mcpReq.envelope as Record<string, unknown> | undefined)?.[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined;
      const inputRequests: InputRequests = {};
      if (declared?.elicitation !== undefined) inputRequests.user_name = nameForm('What is your name?');
      if (declared?.sampling !== undefined) {
        inputRequests.greeting = inputRequired.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: 'Generate a greeting' } }], maxTokens: 50 });
      }
      if (declared?.roots !== undefined) inputRequests.client_roots = inputRequired.listRoots();
      if (Object.keys(inputRequests).length === 0) return text('No declared capability allows an input request');
      return inputRequired({ inputRequests });
    }),
  ];
}

/** test://watched-resource: a version that changes on touch(), and the sessions subscribed to it. */
class Watched {
  version = 1;
  private readonly subscribers = new Set<() => void>();

  subscribe(notify: () => void): () => void {
    // A fresh function per subscription, so a session subscribing twice still unsubscribes only itself.
    const entry = () => notify();
    this.subscribers.add(entry);
    return () => this.subscribers.delete(entry);
  }

  touch(): void {
    this.version++;
    for (const notify of this.subscribers) notify();
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }
}

function resources(watched: Watched): ExtraResource[] {
  return [
    {
      uri: 'test://static-text',
      name: 'static-text',
      description: 'A fixed text (conformance fixture)',
      mimeType: 'text/plain',
      read: async (uri) => ({ contents: [{ uri, mimeType: 'text/plain', text: 'This is the content of the static text resource.' }] }),
    },
    {
      uri: 'test://static-binary',
      name: 'static-binary',
      description: 'A PNG image (conformance fixture)',
      mimeType: 'image/png',
      read: async (uri) => ({ contents: [{ uri, mimeType: 'image/png', blob: PNG_BASE64 }] }),
    },
    {
      uri: 'test://template/{id}/data',
      name: 'template-data',
      description: 'Data for an id (conformance fixture)',
      mimeType: 'application/json',
      read: async (uri, { id }) => ({
        contents: [{ uri, mimeType: 'application/json', text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }) }],
      }),
    },
    {
      uri: WATCHED_URI,
      name: 'watched-resource',
      description: 'A resource clients may subscribe to (conformance fixture)',
      mimeType: 'text/plain',
      read: async (uri) => ({ contents: [{ uri, mimeType: 'text/plain', text: `Watched resource content, version ${watched.version}` }] }),
    },
  ];
}

const ARG1_VALUES = ['paris', 'park', 'party', 'test', 'testing'];

function prompts(): ExtraPrompt[] {
  return [
    {
      prompt: { name: 'test_simple_prompt', description: 'A prompt without arguments (conformance fixture)' },
      get: async () => ({ messages: [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } }] }),
    },
    {
      prompt: {
        name: 'test_prompt_with_arguments',
        description: 'A prompt with two arguments (conformance fixture)',
        arguments: [
          { name: 'arg1', description: 'First test argument', required: true },
          { name: 'arg2', description: 'Second test argument', required: true },
        ],
      },
      get: async ({ arg1, arg2 }) => ({ messages: [{ role: 'user', content: { type: 'text', text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` } }] }),
      complete: (arg, value) => (arg === 'arg1' ? ARG1_VALUES.filter((v) => v.startsWith(value)) : []),
    },
    {
      prompt: {
        name: 'test_prompt_with_embedded_resource',
        description: 'A prompt that embeds a resource (conformance fixture)',
        arguments: [{ name: 'resourceUri', description: 'URI of the resource to embed', required: true }],
      },
      get: async ({ resourceUri }) => ({
        messages: [
          { role: 'user', content: { type: 'resource', resource: { uri: resourceUri ?? '', mimeType: 'text/plain', text: 'Embedded resource content for testing.' } } },
          { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } },
        ],
      }),
    },
    {
      prompt: { name: 'test_prompt_with_image', description: 'A prompt with an image (conformance fixture)' },
      get: async () => ({
        messages: [
          { role: 'user', content: { type: 'image', data: PNG_BASE64, mimeType: 'image/png' } },
          { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } },
        ],
      }),
    },
    {
      prompt: { name: 'test_input_required_result_prompt', description: 'A prompt that asks for context in an MRTR round (conformance fixture)' },
      get: async (_args, ctx) => {
        const context = acceptedContent<{ context: string }>(ctx.mcpReq.inputResponses, 'user_context')?.context;
        if (typeof context !== 'string') {
          return inputRequired({
            inputRequests: {
              user_context: inputRequired.elicit({
                message: 'What context should the prompt use?',
                requestedSchema: { type: 'object', properties: { context: { type: 'string' } }, required: ['context'] },
              }),
            },
          });
        }
        return { messages: [{ role: 'user', content: { type: 'text', text: `Prompt with context: ${context}` } }] };
      },
    },
  ];
}

export interface ConformanceFixtures extends Required<ServerOptions> {
  /** Change test://watched-resource and notify its subscribers. */
  touchWatched(): void;
  /** How many subscriptions test://watched-resource has, over all sessions. */
  watchedSubscribers(): number;
}

/** The server options of the conformance entry: the fixtures, served beside the app's own. */
export function conformanceFixtures(): ConformanceFixtures {
  const watched = new Watched();
  return {
    extend: { tools: [...legacyTools(), ...modernTools()], resources: resources(watched), prompts: prompts() },
    subscribe: (uri, notify) => (uri === WATCHED_URI ? watched.subscribe(notify) : undefined),
    touchWatched: () => watched.touch(),
    watchedSubscribers: () => watched.subscriberCount,
  };
}
