/**
 * A scripted stand-in for kube-apiserver serving ConfigMaps (and discovery of a status-bearing
 * custom kind) over plain HTTP on loopback, for testing the client-node adapter without a control
 * plane: lists with pages, watches with history, merge patches with resourceVersion preconditions,
 * deletes answered with a Status. Tests can hold watch events back, drop watch connections, answer
 * the next watch with 410 Gone, or script the next answer to a request.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import jsonMergePatch from 'json-merge-patch';
import { kubeConfigForServer } from '../../../src/kube/client/config.js';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string | undefined;
  authorization: string | undefined;
  body: unknown;
}

interface StoredObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; uid: string; resourceVersion: string; [key: string]: unknown };
  [key: string]: unknown;
}

interface HistoryEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: StoredObject;
  revision: number;
}

const BASE = '/api/v1/namespaces/';

const status = (code: number, reason: string, message: string, details?: object) => ({
  kind: 'Status',
  apiVersion: 'v1',
  status: code < 300 ? 'Success' : 'Failure',
  message,
  reason,
  code,
  ...(details ? { details } : {}),
});

export class FakeApiServer {
  readonly requests: RecordedRequest[] = [];
  private readonly objects = new Map<string, StoredObject>();
  private readonly history: HistoryEvent[] = [];
  private readonly watches = new Set<{ res: ServerResponse; namespace: string; held: HistoryEvent[] }>();
  private revision = 100;
  private uid = 0;
  private holding = false;
  private expireWatches = 0;
  private scripted: { match: (r: RecordedRequest) => boolean; status: number; body: unknown }[] = [];
  private delays: { match: (r: RecordedRequest) => boolean; ms: number }[] = [];
  private server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.dropWatches();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** A KubeConfig pointing at this server with a bearer token. */
  kubeConfig(token = 'test-token'): ReturnType<typeof kubeConfigForServer> {
    return kubeConfigForServer({ server: `http://127.0.0.1:${this.port}`, token });
  }

  /** Writes an object directly (as another client would), emitting watch events. */
  put(namespace: string, name: string, data: Record<string, string>): StoredObject {
    const existing = this.objects.get(`${namespace}/${name}`);
    const object: StoredObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name,
        namespace,
        uid: existing?.metadata.uid ?? `uid-${++this.uid}`,
        resourceVersion: '',
      },
      data,
    };
    return this.commit(existing ? 'MODIFIED' : 'ADDED', object);
  }

  /** Removes an object directly, emitting DELETED. */
  remove(namespace: string, name: string): void {
    const existing = this.objects.get(`${namespace}/${name}`);
    if (existing) this.commit('DELETED', existing);
  }

  /** Holds watch events back until {@link release}. */
  hold(): void {
    this.holding = true;
  }

  release(): void {
    this.holding = false;
    for (const w of this.watches) for (const e of w.held.splice(0)) this.send(w.res, e);
  }

  /** Ends every open watch connection abruptly. */
  dropWatches(): void {
    for (const w of this.watches) w.res.socket?.destroy();
    this.watches.clear();
  }

  /** The next `count` watch requests get an ERROR event with a 410 Status. */
  expireNextWatches(count = 1): void {
    this.expireWatches += count;
  }

  /** The next request matching `match` gets this answer instead. */
  script(match: (r: RecordedRequest) => boolean, code: number, body: unknown): void {
    this.scripted.push({ match, status: code, body });
  }

  /** The next request matching `match` is answered `ms` later. */
  delay(match: (r: RecordedRequest) => boolean, ms: number): void {
    this.delays.push({ match, ms });
  }

  openWatches(): number {
    return this.watches.size;
  }

  count(method: string, predicate: (r: RecordedRequest) => boolean = () => true): number {
    return this.requests.filter((r) => r.method === method && predicate(r)).length;
  }

  private commit(type: HistoryEvent['type'], object: StoredObject): StoredObject {
    this.revision += 1;
    object.metadata.resourceVersion = String(this.revision);
    // As kube-apiserver does on every write: what the caches must not keep.
    object.metadata['managedFields'] = [{ manager: 'fake', operation: 'Update', fieldsType: 'FieldsV1' }];
    const key = `${object.metadata.namespace}/${object.metadata.name}`;
    if (type === 'DELETED') this.objects.delete(key);
    else this.objects.set(key, object);
    const event = { type, object: structuredClone(object), revision: this.revision };
    this.history.push(event);
    for (const w of this.watches) {
      if (w.namespace !== object.metadata.namespace) continue;
      if (this.holding) w.held.push(event);
      else this.send(w.res, event);
    }
    return structuredClone(object);
  }

  private send(res: ServerResponse, event: HistoryEvent): void {
    res.write(`${JSON.stringify({ type: event.type, object: event.object })}\n`);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString();
    const recorded: RecordedRequest = {
      method: req.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType: req.headers['content-type'],
      authorization: req.headers.authorization,
      body: text ? (JSON.parse(text) as unknown) : undefined,
    };
    this.requests.push(recorded);
    const reply = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const delayIndex = this.delays.findIndex((d) => d.match(recorded));
    if (delayIndex >= 0) {
      const [d] = this.delays.splice(delayIndex, 1);
      await new Promise((resolve) => setTimeout(resolve, d?.ms ?? 0));
    }
    const scriptedIndex = this.scripted.findIndex((s) => s.match(recorded));
    if (scriptedIndex >= 0) {
      const [s] = this.scripted.splice(scriptedIndex, 1);
      return reply(s?.status ?? 500, s?.body);
    }
    if (url.pathname === '/api/v1')
      return reply(200, {
        kind: 'APIResourceList',
        groupVersion: 'v1',
        resources: [{ name: 'configmaps', kind: 'ConfigMap', namespaced: true, verbs: [] }],
      });
    const match = /^\/api\/v1\/namespaces\/([^/]+)\/configmaps(?:\/([^/]+))?$/.exec(url.pathname);
    if (!match || !url.pathname.startsWith(BASE))
      return reply(404, status(404, 'NotFound', 'the server could not find the requested resource'));
    const namespace = decodeURIComponent(match[1] ?? '');
    const name = match[2] === undefined ? undefined : decodeURIComponent(match[2]);
    const key = `${namespace}/${name}`;
    const current = name === undefined ? undefined : this.objects.get(key);
    const notFound = () => reply(404, status(404, 'NotFound', `configmaps "${name}" not found`));

    if (req.method === 'GET' && name === undefined && url.searchParams.get('watch') === 'true') {
      return this.startWatch(res, namespace, Number(url.searchParams.get('resourceVersion') ?? '0'));
    }
    if (req.method === 'GET' && name === undefined) {
      const all = [...this.objects.values()].filter((o) => o.metadata.namespace === namespace);
      const limit = Number(url.searchParams.get('limit') ?? all.length);
      const offset = Number(url.searchParams.get('continue') ?? 0);
      const page = all.slice(offset, offset + limit).map(({ apiVersion: _a, kind: _k, ...rest }) => rest);
      const more = offset + limit < all.length;
      return reply(200, {
        kind: 'ConfigMapList',
        apiVersion: 'v1',
        metadata: {
          resourceVersion: String(this.revision),
          ...(more ? { continue: String(offset + limit) } : {}),
        },
        items: page,
      });
    }
    if (req.method === 'GET') return current ? reply(200, current) : notFound();
    if (req.method === 'POST') {
      const body = recorded.body as StoredObject;
      if (this.objects.has(`${namespace}/${body.metadata.name}`))
        return reply(409, status(409, 'AlreadyExists', `configmaps "${body.metadata.name}" already exists`));
      const created = {
        ...body,
        metadata: { ...body.metadata, namespace, uid: `uid-${++this.uid}`, resourceVersion: '' },
      };
      return reply(201, this.commit('ADDED', created));
    }
    if (!current) return notFound();
    const precondition = recorded.body as
      { metadata?: { resourceVersion?: string }; preconditions?: { resourceVersion?: string } } | undefined;
    const wanted = precondition?.metadata?.resourceVersion ?? precondition?.preconditions?.resourceVersion;
    if (wanted !== undefined && wanted !== current.metadata.resourceVersion)
      return reply(
        409,
        status(
          409,
          'Conflict',
          `Operation cannot be fulfilled on configmaps "${name}": the object has been modified`,
        ),
      );
    if (req.method === 'PATCH') {
      if (recorded.contentType !== 'application/merge-patch+json')
        return reply(
          415,
          status(415, 'UnsupportedMediaType', `the body of the request was in an unknown format`),
        );
      const next = jsonMergePatch.apply(structuredClone(current), recorded.body) as StoredObject;
      next.metadata.uid = current.metadata.uid;
      return reply(200, this.commit('MODIFIED', next));
    }
    if (req.method === 'PUT') return reply(200, this.commit('MODIFIED', recorded.body as StoredObject));
    if (req.method === 'DELETE') {
      this.commit('DELETED', current);
      return reply(200, status(200, '', '', { name, kind: 'configmaps', uid: current.metadata.uid }));
    }
    return reply(405, status(405, 'MethodNotAllowed', 'method not allowed'));
  }

  private startWatch(res: ServerResponse, namespace: string, fromRevision: number): void {
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    if (this.expireWatches > 0) {
      this.expireWatches -= 1;
      res.write(
        `${JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', 'too old resource version') })}\n`,
      );
      res.end();
      return;
    }
    const watch = { res, namespace, held: [] as HistoryEvent[] };
    this.watches.add(watch);
    res.on('close', () => this.watches.delete(watch));
    for (const event of this.history)
      if (event.revision > fromRevision && event.object.metadata.namespace === namespace)
        this.send(res, event);
  }
}
