/**
 * The parts of `@modelcontextprotocol/sdk` the memory server uses, loaded once, on first use.
 * The SDK takes most of a second to load (it builds its zod schemas as it loads), and a program
 * that imports `warden` or `warden/memory` without serving MCP should not pay for it.
 */
type McpModule = typeof import('@modelcontextprotocol/sdk/server/mcp.js');
type TypesModule = typeof import('@modelcontextprotocol/sdk/types.js');
type HttpModule = typeof import('@modelcontextprotocol/sdk/server/streamableHttp.js');

export interface McpSdk {
  readonly McpServer: McpModule['McpServer'];
  readonly StreamableHTTPServerTransport: HttpModule['StreamableHTTPServerTransport'];
  readonly isInitializeRequest: TypesModule['isInitializeRequest'];
  readonly JSONRPCMessageSchema: TypesModule['JSONRPCMessageSchema'];
  readonly SubscribeRequestSchema: TypesModule['SubscribeRequestSchema'];
  readonly UnsubscribeRequestSchema: TypesModule['UnsubscribeRequestSchema'];
}

let loading: Promise<McpSdk> | undefined;

/** The SDK's classes and schemas, importing them the first time. */
export function loadMcpSdk(): Promise<McpSdk> {
  loading ??= Promise.all([
    import('@modelcontextprotocol/sdk/server/mcp.js'),
    import('@modelcontextprotocol/sdk/types.js'),
    import('@modelcontextprotocol/sdk/server/streamableHttp.js'),
  ]).then(([mcp, types, http]) => ({
    McpServer: mcp.McpServer,
    StreamableHTTPServerTransport: http.StreamableHTTPServerTransport,
    isInitializeRequest: types.isInitializeRequest,
    JSONRPCMessageSchema: types.JSONRPCMessageSchema,
    SubscribeRequestSchema: types.SubscribeRequestSchema,
    UnsubscribeRequestSchema: types.UnsubscribeRequestSchema,
  }));
  return loading;
}
