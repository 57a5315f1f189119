/**
 * The client half of `@modelcontextprotocol/sdk` that MCP tools use, loaded once, on first use.
 * The SDK takes most of a second to load (it builds its zod schemas as it loads), and an agent
 * without MCP tools (or a program that only imports `warden`) should not pay for it.
 */
type ClientModule = typeof import('@modelcontextprotocol/sdk/client/index.js');
type StdioModule = typeof import('@modelcontextprotocol/sdk/client/stdio.js');
type HttpModule = typeof import('@modelcontextprotocol/sdk/client/streamableHttp.js');
type TypesModule = typeof import('@modelcontextprotocol/sdk/types.js');

export interface McpClientSdk {
  readonly Client: ClientModule['Client'];
  readonly StdioClientTransport: StdioModule['StdioClientTransport'];
  readonly StreamableHTTPClientTransport: HttpModule['StreamableHTTPClientTransport'];
  readonly McpError: TypesModule['McpError'];
}

let loading: Promise<McpClientSdk> | undefined;

/** The SDK's client classes, importing them the first time. */
export function loadMcpClientSdk(): Promise<McpClientSdk> {
  loading ??= Promise.all([
    import('@modelcontextprotocol/sdk/client/index.js'),
    import('@modelcontextprotocol/sdk/client/stdio.js'),
    import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
    import('@modelcontextprotocol/sdk/types.js'),
  ]).then(([client, stdio, http, types]) => ({
    Client: client.Client,
    StdioClientTransport: stdio.StdioClientTransport,
    StreamableHTTPClientTransport: http.StreamableHTTPClientTransport,
    McpError: types.McpError,
  }));
  return loading;
}
