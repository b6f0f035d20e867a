/**
 * JSON-RPC batches (an array of messages) are not part of MCP since protocol version 2025-06-18. Both transports
 * refuse them with this one error rather than running some of the messages or dropping them without an answer.
 */
export const BATCH_REFUSAL = {
  jsonrpc: '2.0',
  id: null,
  error: {
    code: -32600,
    message:
      'Invalid Request: JSON-RPC batches are not supported (MCP removed them in protocol version 2025-06-18); nothing in the batch was run. Send one message per request (HTTP) or per line (stdio).',
  },
} as const;
