/**
 * Shared pieces of the printable go-live documents (Appendix A form, Appendix B report).
 *
 * The HTML files are opened from disk and printed, never served, but they still carry a strict
 * CSP: no scripts at all, and the one `<style>` element is allowed by its SHA-256 hash.
 */
import { createHash } from 'node:crypto';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Text for a Markdown table cell: no pipes, tags or line breaks that would break the table. */
export function mdCell(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r?\n/g, '<br>');
}

/** Shown in Markdown where a person must fill in or stamp by hand. */
export const MD_BLANK = '＿＿＿＿＿＿（待填写）';

const BASE_CSS = `
@page { size: A4; margin: 18mm 16mm; }
html { font-family: "SimSun", "Songti SC", "Noto Serif CJK SC", "WenQuanYi Micro Hei", serif; font-size: 11pt; color: #000; }
body { margin: 0 auto; max-width: 190mm; padding: 8mm 0; }
h1 { font-size: 15pt; text-align: center; margin: 0 0 6mm; font-weight: bold; }
table.std { width: 100%; border-collapse: collapse; table-layout: fixed; }
table.std th, table.std td { border: 1px solid #000; padding: 2.5mm 2mm; vertical-align: middle; word-break: break-all; }
table.std th { font-weight: normal; text-align: center; }
table.std .section { text-align: left; font-weight: bold; background: #f2f2f2; }
.blank { display: inline-block; min-width: 30mm; min-height: 1.2em; border-bottom: 1px dotted #666; color: #888; font-size: 9pt; }
.stamp { display: inline-block; width: 40mm; height: 22mm; border: 1px dashed #888; color: #888; font-size: 9pt; text-align: center; line-height: 22mm; }
.notes { font-size: 10pt; margin-top: 4mm; }
.notes p { margin: 1mm 0; }
.ok { font-weight: bold; }
.bad { font-weight: bold; color: #b00; }
.evidence { font-size: 9pt; margin: 0; padding-left: 4mm; }
.evidence li { margin: 0.5mm 0; }
.meta { font-size: 9pt; color: #333; }
table.list { width: 100%; border-collapse: collapse; font-size: 8.5pt; }
table.list th, table.list td { border: 1px solid #999; padding: 1mm; text-align: left; word-break: break-all; }
.sign { margin-top: 10mm; text-align: right; line-height: 2.2; }
@media print { .noprint { display: none; } h2 { page-break-before: always; } }
`;

/** A whole printable page: strict CSP with the style's hash, no scripts. */
export function printablePage(title: string, body: string, extraCss = ''): string {
  const css = BASE_CSS + extraCss;
  const hash = createHash('sha256').update(css).digest('base64');
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'sha256-${hash}'; img-src data:; base-uri 'none'; form-action 'none'">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${css}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

/** A visibly blank field in HTML. */
export function htmlBlank(hint = '待填写'): string {
  return `<span class="blank">${escapeHtml(hint)}</span>`;
}
