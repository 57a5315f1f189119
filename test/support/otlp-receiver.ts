/**
 * A loopback OTLP/HTTP receiver for tests: it accepts what an OpenTelemetry exporter posts to
 * /v1/traces and /v1/metrics (and /v1/logs), as `http/json` or `http/protobuf`, and reads the
 * spans (name, ids, parent, links, string and number attributes) and the metric names out of
 * either. The protobuf side is a small reader of the wire format, written here because the
 * exporter's own serializer packages encode requests but do not decode them.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';

export interface ReceivedSpan {
  readonly name: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly links: readonly { readonly traceId: string; readonly spanId: string }[];
  readonly attributes: Readonly<Record<string, string | number | boolean>>;
}

export interface OtlpReceiver {
  /** The endpoint to give OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly url: string;
  /** The content types of every request received, by path. */
  readonly requests: { path: string; contentType: string }[];
  readonly spans: ReceivedSpan[];
  readonly metrics: Set<string>;
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const requests: { path: string; contentType: string }[] = [];
  const spans: ReceivedSpan[] = [];
  const metrics = new Set<string>();
  const server: Server = createServer(async (req, res) => {
    const body = await readBody(req);
    const path = req.url ?? '';
    const contentType = String(req.headers['content-type'] ?? '');
    requests.push({ path, contentType });
    const json = contentType.includes('json');
    if (path === '/v1/traces') spans.push(...(json ? spansFromJson(JSON.parse(body.toString('utf8'))) : spansFromProtobuf(body)));
    if (path === '/v1/metrics') for (const m of json ? metricsFromJson(JSON.parse(body.toString('utf8'))) : metricsFromProtobuf(body)) metrics.add(m);
    res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' }).end(json ? '{}' : undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    spans,
    metrics,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

// ---- OTLP/JSON

interface JsonAttribute {
  key: string;
  value: { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean };
}

function attributesFromJson(list: readonly JsonAttribute[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const a of list ?? []) {
    const v = a.value;
    const value = v.stringValue ?? (v.intValue === undefined ? undefined : Number(v.intValue)) ?? v.doubleValue ?? v.boolValue;
    if (value !== undefined) out[a.key] = value;
  }
  return out;
}

function spansFromJson(request: {
  resourceSpans?: {
    scopeSpans?: {
      spans?: {
        name: string;
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        links?: { traceId: string; spanId: string }[];
        attributes?: JsonAttribute[];
      }[];
    }[];
  }[];
}): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of request.resourceSpans ?? [])
    for (const ss of rs.scopeSpans ?? [])
      for (const s of ss.spans ?? []) {
        out.push({
          name: s.name,
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId ?? '',
          links: (s.links ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
          attributes: attributesFromJson(s.attributes),
        });
      }
  return out;
}

function metricsFromJson(request: { resourceMetrics?: { scopeMetrics?: { metrics?: { name: string }[] }[] }[] }): string[] {
  return (request.resourceMetrics ?? []).flatMap((rm) => (rm.scopeMetrics ?? []).flatMap((sm) => (sm.metrics ?? []).map((m) => m.name)));
}

// ---- OTLP/protobuf: the wire format, read field by field

type Field = { readonly no: number; readonly varint?: bigint; readonly bytes?: Uint8Array; readonly fixed64?: Buffer };

function fields(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  let i = 0;
  const varint = (): bigint => {
    let shift = 0n;
    let value = 0n;
    for (;;) {
      const b = buf[i++] as number;
      value |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return value;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const no = key >>> 3;
    switch (key & 7) {
      case 0:
        out.push({ no, varint: varint() });
        break;
      case 1:
        out.push({ no, fixed64: Buffer.from(buf.subarray(i, i + 8)) });
        i += 8;
        break;
      case 2: {
        const length = Number(varint());
        out.push({ no, bytes: buf.subarray(i, i + length) });
        i += length;
        break;
      }
      case 5:
        i += 4;
        break;
      default:
        throw new Error(`protobuf: unsupported wire type ${key & 7} at byte ${i}`);
    }
  }
  return out;
}

const all = (buf: Uint8Array, no: number): Uint8Array[] =>
  fields(buf)
    .filter((f) => f.no === no && f.bytes !== undefined)
    .map((f) => f.bytes as Uint8Array);
const first = (buf: Uint8Array, no: number): Uint8Array => all(buf, no)[0] ?? new Uint8Array();
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');

/** KeyValue { key = 1; AnyValue value = 2 }, AnyValue { string = 1; bool = 2; int = 3; double = 4 }. */
function attributesFromProtobuf(list: readonly Uint8Array[]): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const kv of list) {
    const key = text(first(kv, 1));
    for (const f of fields(first(kv, 2))) {
      if (f.no === 1 && f.bytes !== undefined) out[key] = text(f.bytes);
      else if (f.no === 2 && f.varint !== undefined) out[key] = f.varint !== 0n;
      else if (f.no === 3 && f.varint !== undefined) out[key] = Number(BigInt.asIntN(64, f.varint));
      else if (f.no === 4 && f.fixed64 !== undefined) out[key] = f.fixed64.readDoubleLE(0);
    }
  }
  return out;
}

/** ExportTraceServiceRequest → resource_spans (1) → scope_spans (2) → spans (2): trace_id 1, span_id 2, parent 4, name 5, attributes 9, links 13. */
function spansFromProtobuf(body: Uint8Array): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of all(body, 1))
    for (const ss of all(rs, 2))
      for (const s of all(ss, 2)) {
        out.push({
          name: text(first(s, 5)),
          traceId: hex(first(s, 1)),
          spanId: hex(first(s, 2)),
          parentSpanId: hex(first(s, 4)),
          links: all(s, 13).map((l) => ({ traceId: hex(first(l, 1)), spanId: hex(first(l, 2)) })),
          attributes: attributesFromProtobuf(all(s, 9)),
        });
      }
  return out;
}

/** ExportMetricsServiceRequest → resource_metrics (1) → scope_metrics (2) → metrics (2): name 1. */
function metricsFromProtobuf(body: Uint8Array): string[] {
  return all(body, 1).flatMap((rm) => all(rm, 2).flatMap((sm) => all(sm, 2).map((m) => text(first(m, 1)))));
}
