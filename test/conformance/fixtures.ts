/**
 * The tools, resources and prompts the official conformance server scenarios call by fixed name
 * (@modelcontextprotocol/conformance, the "everything server" contract). They are registered through the
 * server's `extend` hook on the same McpServer the shipped server builds, and only from test/, so the shipped
 * server (dist/) never offers them. Names, arguments and payloads are the ones the scenarios check.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  type CallToolResult,
  CreateMessageResultSchema,
  type ElicitRequestFormParams,
  ElicitResultSchema,
  type LoggingLevel,
  type ServerNotification,
  type ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { ServerOptions } from '../../src/server.js';

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

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

/**
 * Notifications tied to the running request travel on its own POST stream; a server-initiated one would go to
 * the optional standalone GET stream, which the client may not have opened yet, and be dropped.
 */
function log(extra: Extra, level: LoggingLevel, data: string): Promise<void> {
  return extra.sendNotification({ method: 'notifications/message', params: { level, logger: 'conformance', data } });
}

/** Ask the client's user (on the tool call's own stream) and report the answer as the scenarios word it. */
async function elicit(extra: Extra, params: ElicitRequestFormParams, prefix = 'Elicitation completed:'): Promise<CallToolResult> {
  const r = await extra.sendRequest({ method: 'elicitation/create', params }, ElicitResultSchema);
  return text(`${prefix} action=${r.action}, content=${JSON.stringify(r.content ?? {})}`);
}

function registerTools(server: McpServer): void {
  server.registerTool('test_simple_text', { description: 'Returns a fixed text (conformance fixture)' }, () =>
    text('This is a simple text response for testing.'),
  );
  server.registerTool('test_image_content', { description: 'Returns a PNG image (conformance fixture)' }, () => ({
    content: [{ type: 'image', data: PNG_BASE64, mimeType: 'image/png' }],
  }));
  server.registerTool('test_audio_content', { description: 'Returns a WAV clip (conformance fixture)' }, () => ({
    content: [{ type: 'audio', data: silentWav(), mimeType: 'audio/wav' }],
  }));
  server.registerTool('test_embedded_resource', { description: 'Returns an embedded resource (conformance fixture)' }, () => ({
    content: [
      {
        type: 'resource',
        resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' },
      },
    ],
  }));
  server.registerTool(
    'test_multiple_content_types',
    { description: 'Returns text, image and resource content (conformance fixture)' },
    () => ({
      content: [
        { type: 'text', text: 'Multiple content types test:' },
        { type: 'image', data: PNG_BASE64, mimeType: 'image/png' },
        {
          type: 'resource',
          resource: { uri: 'test://mixed-content-resource', mimeType: 'application/json', text: JSON.stringify({ test: 'data', value: 123 }) },
        },
      ],
    }),
  );
  server.registerTool(
    'test_tool_with_logging',
    { description: 'Sends three info log notifications while it runs (conformance fixture)' },
    async (extra) => {
      await log(extra, 'info', 'Tool execution started');
      await sleep(50);
      await log(extra, 'info', 'Tool processing data');
      await sleep(50);
      await log(extra, 'info', 'Tool execution completed');
      return text('Tool with logging executed successfully');
    },
  );
  server.registerTool('test_error_handling', { description: 'Always fails (conformance fixture)' }, () => {
    // Thrown on purpose: the SDK must turn a failing handler into an isError result, not a protocol error.
    throw new Error('This tool intentionally returns an error for testing');
  });
  server.registerTool(
    'test_tool_with_progress',
    { description: 'Reports progress 0, 50 and 100 of 100 (conformance fixture)' },
    async (extra) => {
      const token = extra._meta?.progressToken;
      for (const progress of [0, 50, 100]) {
        if (token !== undefined) {
          await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress, total: 100 } });
        }
        if (progress < 100) await sleep(50);
      }
      return text('Tool with progress executed successfully');
    },
  );
  server.registerTool(
    'test_sampling',
    { description: 'Asks the client to sample an LLM (conformance fixture)', inputSchema: { prompt: z.string() } },
    async ({ prompt }, extra) => {
      const r = await extra.sendRequest(
        { method: 'sampling/createMessage', params: { messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens: 100 } },
        CreateMessageResultSchema,
      );
      const answer = Array.isArray(r.content) ? r.content : [r.content];
      return text(`LLM response: ${answer.map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join(' ')}`);
    },
  );
  server.registerTool(
    'test_elicitation',
    { description: 'Asks the user for a name and an e-mail address (conformance fixture)', inputSchema: { message: z.string() } },
    ({ message }, extra) =>
      elicit(
        extra,
        {
          message,
          requestedSchema: {
            type: 'object',
            properties: {
              username: { type: 'string', description: "User's response" },
              email: { type: 'string', description: "User's email address" },
            },
            required: ['username', 'email'],
          },
        },
        'User response:',
      ),
  );
  server.registerTool(
    'test_elicitation_sep1034_defaults',
    { description: 'Elicits one field of each primitive type, each with a default (conformance fixture, SEP-1034)' },
    (extra) =>
      elicit(extra, {
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
  );
  server.registerTool(
    'test_elicitation_sep1330_enums',
    { description: 'Elicits the five enum shapes of SEP-1330 (conformance fixture)' },
    (extra) =>
      elicit(extra, {
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
        },
      }),
  );
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

function registerResources(server: McpServer, watched: Watched): void {
  server.registerResource(
    'static-text',
    'test://static-text',
    { description: 'A fixed text (conformance fixture)', mimeType: 'text/plain' },
    (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'This is the content of the static text resource.' }] }),
  );
  server.registerResource(
    'static-binary',
    'test://static-binary',
    { description: 'A PNG image (conformance fixture)', mimeType: 'image/png' },
    (uri) => ({ contents: [{ uri: uri.href, mimeType: 'image/png', blob: PNG_BASE64 }] }),
  );
  server.registerResource(
    'template-data',
    new ResourceTemplate('test://template/{id}/data', { list: undefined }),
    { description: 'Data for an id (conformance fixture)', mimeType: 'application/json' },
    (uri, { id }) => {
      const value = Array.isArray(id) ? id.join(',') : String(id);
      return {
        contents: [
          { uri: uri.href, mimeType: 'application/json', text: JSON.stringify({ id: value, templateTest: true, data: `Data for ID: ${value}` }) },
        ],
      };
    },
  );
  server.registerResource(
    'watched-resource',
    WATCHED_URI,
    { description: 'A resource clients may subscribe to (conformance fixture)', mimeType: 'text/plain' },
    (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: `Watched resource content, version ${watched.version}` }] }),
  );
}

function registerPrompts(server: McpServer): void {
  server.registerPrompt('test_simple_prompt', { description: 'A prompt without arguments (conformance fixture)' }, () => ({
    messages: [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } }],
  }));
  server.registerPrompt(
    'test_prompt_with_arguments',
    {
      description: 'A prompt with two arguments (conformance fixture)',
      argsSchema: {
        arg1: completable(z.string().describe('First test argument'), (value) =>
          ['paris', 'park', 'party', 'test', 'testing'].filter((v) => v.startsWith(value)),
        ),
        arg2: z.string().describe('Second test argument'),
      },
    },
    ({ arg1, arg2 }) => ({
      messages: [{ role: 'user', content: { type: 'text', text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` } }],
    }),
  );
  server.registerPrompt(
    'test_prompt_with_embedded_resource',
    {
      description: 'A prompt that embeds a resource (conformance fixture)',
      argsSchema: { resourceUri: z.string().describe('URI of the resource to embed') },
    },
    ({ resourceUri }) => ({
      messages: [
        {
          role: 'user',
          content: { type: 'resource', resource: { uri: resourceUri, mimeType: 'text/plain', text: 'Embedded resource content for testing.' } },
        },
        { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } },
      ],
    }),
  );
  server.registerPrompt('test_prompt_with_image', { description: 'A prompt with an image (conformance fixture)' }, () => ({
    messages: [
      { role: 'user', content: { type: 'image', data: PNG_BASE64, mimeType: 'image/png' } },
      { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } },
    ],
  }));
}

export interface ConformanceFixtures extends Required<ServerOptions> {
  /** Change test://watched-resource and notify its subscribers. */
  touchWatched(): void;
  /** How many subscriptions test://watched-resource has, over all sessions. */
  watchedSubscribers(): number;
}

/** The server options of the conformance entry: the fixtures, registered on each session's McpServer. */
export function conformanceFixtures(): ConformanceFixtures {
  const watched = new Watched();
  return {
    extend: (server) => {
      registerTools(server);
      registerResources(server, watched);
      registerPrompts(server);
    },
    subscribe: (uri, notify) => (uri === WATCHED_URI ? watched.subscribe(notify) : undefined),
    touchWatched: () => watched.touch(),
    watchedSubscribers: () => watched.subscriberCount,
  };
}
