/**
 * Escaping of text for HTML and SVG: the five characters that can end a text node or an
 * attribute value (`&`, `<`, `>`, `"`, `'`) become character references. Safe in element
 * content and in single- or double-quoted attributes of both HTML and XML (SVG).
 */

const REFERENCES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * `text` with `& < > " '` replaced by character references.
 *
 * @example
 * ```ts
 * escapeHtml('a<b & "c"'); // 'a&lt;b &amp; &quot;c&quot;'
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => REFERENCES[c]);
}
