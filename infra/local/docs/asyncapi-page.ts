/**
 * /docs/asyncapi: the AsyncAPI document as one plain HTML page (no script, nothing from outside), rendered from the
 * document itself, so the page shows exactly what /asyncapi.json says.
 */

type Json = Record<string, any>;

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** The documents' prose uses `code` spans and [links](/path); nothing else of Markdown. */
const prose = (text: string) =>
  escape(text)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\[([^\]]+)\]\((\/[^)\s]*)\)/g, '<a href="$2">$1</a>');
const paragraphs = (text: string | undefined) => (text ?? '').split(/\n{2,}/).filter(Boolean).map((p) => `<p>${prose(p)}</p>`).join('\n');
/** JSON with `$ref`s to component schemas turned into links to their section. */
const json = (value: unknown) =>
  escape(JSON.stringify(value, null, 2)).replace(/&#34;#\/components\/schemas\/(\w+)&#34;/g, '&#34;<a href="#schema-$1">#/components/schemas/$1</a>&#34;');

/** `#/channels/chat/messages/sendMessageAction` → that message object. */
function resolve(document: Json, ref: string): Json {
  return ref.replace(/^#\//, '').split('/').reduce((node: Json, key) => node[key], document);
}

/** A message's schema and examples; with its heading and summary where no operation above already says them. */
function messageSection(document: Json, ref: string, headed: boolean): string {
  const message = resolve(document, ref);
  const key = ref.split('/').pop()!;
  const examples = (message.examples ?? []).map((example: Json) => `<h5>Example: ${escape(example.name)}</h5>\n<pre>${json(example.payload)}</pre>`).join('\n');
  const heading = headed ? `<h3><code>${escape(message.name)}</code> <small>${escape(message.title ?? '')}</small></h3>\n<p>${prose(message.summary ?? '')}</p>` : '';
  return `<section class="${headed ? 'message' : 'frame'}" id="message-${escape(key)}">
${heading}
<details><summary>Payload schema</summary><pre>${json(message.payload)}</pre></details>
${examples}
</section>`;
}

export function asyncApiPage(document: Json): string {
  const [channelKey, channel] = Object.entries(document.channels as Json)[0]!;
  const operations = Object.entries(document.operations as Json);
  const received = operations.filter(([, op]) => op.action === 'receive').map(([id, op]) => `<section class="operation" id="operation-${escape(id)}">
<h3><code>${escape(op.title)}</code> <small>${escape(op.summary ?? '')} · operation <code>${escape(id)}</code></small></h3>
${paragraphs(op.description)}
${op.reply ? `<p>Answered with: ${op.reply.messages.map((m: Json) => `<a href="#message-${escape(m.$ref.split('/').pop())}"><code>${escape(resolve(document, m.$ref).name)}</code></a>`).join(', ')}</p>` : ''}
${op.messages.map((m: Json) => messageSection(document, m.$ref, false)).join('\n')}
</section>`);
  const sent = operations.filter(([, op]) => op.action === 'send').flatMap(([, op]) => op.messages.map((m: Json) => messageSection(document, m.$ref, true)));
  const schemas = Object.entries((document.components?.schemas ?? {}) as Json).map(([name, schema]) => `<section id="schema-${escape(name)}"><h3>${escape(name)}</h3><pre>${json(schema)}</pre></section>`);
  const servers = Object.values((document.servers ?? {}) as Json).map((s: Json) => `<code>${escape(`${s.protocol}://${s.host}${s.pathname ?? ''}${channel.address}`)}</code>`);
  const query = channel.bindings?.ws?.query;
  return `<!DOCTYPE html>
<html lang="zh">
<head>
<meta charset="UTF-8">
<title>${escape(document.info.title)} — AsyncAPI ${escape(document.asyncapi)}</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; max-width: 1100px; margin: 0 auto; padding: 1rem 2rem; color: #222; }
pre { background: #f5f5f7; padding: .6rem; overflow-x: auto; font-size: 13px; }
section.operation, section.message { border-top: 1px solid #ddd; margin-top: 1rem; }
h3 small { font-weight: normal; color: #666; }
nav a { margin-right: 1rem; }
</style>
</head>
<body>
<nav><a href="/docs">HTTP API (OpenAPI)</a><a href="/asyncapi.json">/asyncapi.json</a></nav>
<h1>${escape(document.info.title)}</h1>
<p>AsyncAPI ${escape(document.asyncapi)} · version ${escape(document.info.version)} · channel <code>${escape(channelKey)}</code> at address <code>${escape(channel.address)}</code>${servers.length ? ` · ${servers.join(', ')}` : ''}</p>
${paragraphs(document.info.description)}
${query ? `<h2>Connecting</h2>\n<p>WebSocket upgrade: <code>${escape(channel.bindings.ws.method)}</code> with query string:</p>\n<pre>${json(query)}</pre>` : ''}
<h2 id="client">Client → server: the actions (operations the backend receives)</h2>
${received.join('\n')}
<h2 id="server">Server → client: the frames (operations the backend sends)</h2>
${sent.join('\n')}
<h2 id="schemas">Schemas</h2>
${schemas.join('\n')}
</body>
</html>
`;
}
