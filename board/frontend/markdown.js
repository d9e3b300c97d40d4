// A small Markdown renderer that builds DOM nodes directly. Text from the logs only ever becomes
// text nodes, so raw HTML in the source shows literally; links keep only http(s)/mailto targets.
// Supports headings, paragraphs, emphasis, strong, strikethrough, code spans, fenced and indented
// code blocks, block quotes, ordered and unordered (nested) lists, GFM tables, rules and links.
import { el } from './dom.js';

const SAFE_LINK = /^(https?:|mailto:|#)/i;

/** Render Markdown `source` into a DocumentFragment. */
export function renderMarkdown(source) {
  const lines = String(source).replace(/\r\n?/g, '\n').split('\n');
  const fragment = document.createDocumentFragment();
  fragment.append(...parseBlocks(lines));
  return fragment;
}

const isBlank = (line) => /^\s*$/.test(line);
const fenceOf = (line) => line.match(/^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)/);
const headingOf = (line) => line.match(/^ {0,3}(#{1,6})(?:\s+(.*?))?\s*#*\s*$/);
const isRule = (line) => /^ {0,3}([-*_])(\s*\1){2,}\s*$/.test(line);
const listItemOf = (line) => line.match(/^( *)([-*+]|\d{1,9}[.)])\s+(.*)$/);
const isTableSeparator = (line) => /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/.test(line) && line.includes('-');

function splitRow(line) {
  let text = line.trim();
  if (text.startsWith('|')) text = text.slice(1);
  if (text.endsWith('|') && !text.endsWith('\\|')) text = text.slice(0, -1);
  const cells = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\' && text[i + 1] === '|') {
      current += '|';
      i++;
    } else if (text[i] === '|') {
      cells.push(current.trim());
      current = '';
    } else current += text[i];
  }
  cells.push(current.trim());
  return cells;
}

function parseBlocks(lines) {
  const out = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (isBlank(line)) {
      i++;
      continue;
    }
    const fence = fenceOf(line);
    if (fence) {
      const body = [];
      i++;
      while (i < lines.length && !lines[i].trimStart().startsWith(fence[1])) body.push(lines[i++]);
      i++;
      const code = el('code', { text: body.join('\n') });
      if (fence[2]) code.className = `language-${fence[2].replace(/[^\w-]/g, '')}`;
      out.push(el('pre', {}, code));
      continue;
    }
    if (/^( {4}|\t)/.test(line)) {
      const body = [];
      while (i < lines.length && (/^( {4}|\t)/.test(lines[i]) || isBlank(lines[i]))) body.push(lines[i++].replace(/^( {4}|\t)/, ''));
      while (body.length && isBlank(body[body.length - 1])) body.pop();
      out.push(el('pre', {}, el('code', { text: body.join('\n') })));
      continue;
    }
    const heading = headingOf(line);
    if (heading) {
      out.push(el(`h${heading[1].length}`, {}, parseInline(heading[2] ?? '')));
      i++;
      continue;
    }
    if (isRule(line)) {
      out.push(el('hr'));
      i++;
      continue;
    }
    if (/^ {0,3}>/.test(line)) {
      const body = [];
      while (i < lines.length && /^ {0,3}>/.test(lines[i])) body.push(lines[i++].replace(/^ {0,3}> ?/, ''));
      out.push(el('blockquote', {}, parseBlocks(body)));
      continue;
    }
    if (listItemOf(line)) {
      const [node, next] = parseList(lines, i);
      out.push(node);
      i = next;
      continue;
    }
    if (line.includes('|') && i + 1 < lines.length && isTableSeparator(lines[i + 1])) {
      const [node, next] = parseTable(lines, i);
      out.push(node);
      i = next;
      continue;
    }
    const para = [];
    while (i < lines.length && !isBlank(lines[i]) && !startsBlock(lines, i)) para.push(lines[i++]);
    if (!para.length) para.push(lines[i++]);
    out.push(el('p', {}, paragraphInline(para)));
  }
  return out;
}

function startsBlock(lines, i) {
  const line = lines[i];
  return Boolean(fenceOf(line) || headingOf(line) || isRule(line) || /^ {0,3}>/.test(line) || listItemOf(line)
    || (line.includes('|') && i + 1 < lines.length && isTableSeparator(lines[i + 1])));
}

function paragraphInline(lines) {
  const nodes = [];
  lines.forEach((line, k) => {
    const hardBreak = / {2,}$/.test(line) || line.endsWith('\\');
    nodes.push(...parseInline(line.replace(/( {2,}|\\)$/, '').trim()));
    if (k < lines.length - 1) nodes.push(hardBreak ? el('br') : document.createTextNode(' '));
  });
  return nodes;
}

function parseList(lines, start) {
  const first = listItemOf(lines[start]);
  const indent = first[1].length;
  const ordered = /\d/.test(first[2]);
  const list = el(ordered ? 'ol' : 'ul');
  if (ordered && Number.parseInt(first[2], 10) !== 1) list.setAttribute('start', String(Number.parseInt(first[2], 10)));
  let i = start;
  while (i < lines.length) {
    const item = listItemOf(lines[i]);
    if (!item || item[1].length !== indent || /\d/.test(item[2]) !== ordered) break;
    const body = [item[3]];
    i++;
    while (i < lines.length && !isBlank(lines[i])) {
      const nested = listItemOf(lines[i]);
      if (nested && nested[1].length <= indent) break;
      body.push(lines[i].replace(new RegExp(`^ {0,${indent + 4}}`), ''));
      i++;
    }
    if (i < lines.length && isBlank(lines[i]) && i + 1 < lines.length && listItemOf(lines[i + 1])?.[1].length === indent) i++;
    const nestedStart = body.findIndex((l, k) => k > 0 && listItemOf(l));
    const li = el('li');
    if (nestedStart > 0) {
      li.append(...paragraphInline(body.slice(0, nestedStart)), ...parseBlocks(body.slice(nestedStart)));
    } else li.append(...paragraphInline(body));
    list.append(li);
  }
  return [list, i];
}

function parseTable(lines, start) {
  const header = splitRow(lines[start]);
  const aligns = splitRow(lines[start + 1]).map((cell) => {
    const left = cell.startsWith(':');
    const right = cell.endsWith(':');
    return left && right ? 'center' : right ? 'right' : left ? 'left' : null;
  });
  const cell = (tag, text, k) => {
    const node = el(tag, {}, parseInline(text));
    if (aligns[k]) node.style.textAlign = aligns[k];
    return node;
  };
  const rows = [];
  let i = start + 2;
  while (i < lines.length && !isBlank(lines[i]) && lines[i].includes('|')) {
    const cells = splitRow(lines[i++]);
    rows.push(el('tr', {}, header.map((_, k) => cell('td', cells[k] ?? '', k))));
  }
  const table = el('table', {}, el('thead', {}, el('tr', {}, header.map((h, k) => cell('th', h, k)))), el('tbody', {}, rows));
  return [table, i];
}

const INLINE_DELIMS = [
  ['**', 'strong'],
  ['__', 'strong'],
  ['~~', 'del'],
  ['*', 'em'],
  ['_', 'em'],
];

/** Inline Markdown to an array of nodes. */
export function parseInline(text) {
  const nodes = [];
  let plain = '';
  const flush = () => {
    if (plain) nodes.push(document.createTextNode(plain));
    plain = '';
  };
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '\\' && i + 1 < text.length && /[\\`*_{}[\]()#+\-.!|~<>]/.test(text[i + 1])) {
      plain += text[i + 1];
      i += 2;
      continue;
    }
    if (ch === '`') {
      const ticks = text.slice(i).match(/^`+/)[0];
      const end = text.indexOf(ticks, i + ticks.length);
      if (end > 0) {
        flush();
        nodes.push(el('code', { text: text.slice(i + ticks.length, end).replace(/^ (.*) $/, '$1') }));
        i = end + ticks.length;
        continue;
      }
    }
    if (ch === '<') {
      const auto = text.slice(i).match(/^<((?:https?:\/\/|mailto:)[^\s<>]+)>/i);
      if (auto) {
        flush();
        nodes.push(link(auto[1], [document.createTextNode(auto[1])]));
        i += auto[0].length;
        continue;
      }
    }
    if (ch === '[' || (ch === '!' && text[i + 1] === '[')) {
      const parsed = parseLink(text, ch === '!' ? i + 1 : i);
      if (parsed) {
        flush();
        const children = parseInline(parsed.label);
        // Images are shown as their alt text: the board never fetches URLs named in logs.
        nodes.push(ch === '!' ? el('span', { class: 'md-image-alt', title: parsed.url }, '[image: ', children, ']') : link(parsed.url, children));
        i = parsed.end;
        continue;
      }
    }
    const delim = INLINE_DELIMS.find(([d]) => text.startsWith(d, i));
    // An underscore inside a word (snake_case) never opens emphasis.
    const intraword = delim?.[0][0] === '_' && /\w/.test(text[i - 1] ?? '');
    if (delim && !intraword && text[i + delim[0].length] && !/\s/.test(text[i + delim[0].length])) {
      const end = findCloser(text, delim[0], i + delim[0].length);
      if (end > 0) {
        flush();
        nodes.push(el(delim[1], {}, parseInline(text.slice(i + delim[0].length, end))));
        i = end + delim[0].length;
        continue;
      }
    }
    plain += ch;
    i++;
  }
  flush();
  return nodes;
}

function findCloser(text, delim, from) {
  let i = from;
  while (i < text.length) {
    if (text[i] === '\\') {
      i += 2;
      continue;
    }
    if (text[i] === '`') {
      const close = text.indexOf('`', i + 1);
      if (close > 0) {
        i = close + 1;
        continue;
      }
    }
    if (text.startsWith(delim, i) && !/\s/.test(text[i - 1]) && i > from) {
      // For single-character delimiters, skip the doubled form (it belongs to strong).
      if (delim.length === 1 && text[i + 1] === delim && text[i - 1] !== delim) {
        const inner = findCloser(text, delim + delim, i + 2);
        if (inner > 0) {
          i = inner + 2;
          continue;
        }
      }
      if (delim === '_' && /\w/.test(text[i + 1] ?? '')) {
        i++;
        continue;
      }
      return i;
    }
    i++;
  }
  return -1;
}

function parseLink(text, start) {
  let depth = 0;
  let i = start;
  for (; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '[') depth++;
    else if (text[i] === ']' && --depth === 0) break;
  }
  if (i >= text.length || text[i + 1] !== '(') return null;
  // The destination may hold balanced parentheses, as CommonMark allows.
  let close = i + 2;
  for (let open = 1; close < text.length; close++) {
    if (text[close] === '\\') close++;
    else if (text[close] === '(') open++;
    else if (text[close] === ')' && --open === 0) break;
  }
  if (close >= text.length) return null;
  const target = text.slice(i + 2, close).trim().split(/\s+/)[0].replace(/^<(.*)>$/, '$1');
  return { label: text.slice(start + 1, i), url: target, end: close + 1 };
}

function link(url, children) {
  if (!SAFE_LINK.test(url)) return el('span', { class: 'md-link-dropped', title: 'link target removed' }, children);
  return el('a', { href: url, rel: 'noopener noreferrer nofollow', target: '_blank' }, children);
}
