/**
 * A tiny cookie-keeping HTTP client that behaves like a browser for redirects and cookies
 * (per host, as browsers keep them: localhost and 127.0.0.1 are separate), used by the Node
 * tests to drive real servers without a real browser.
 */
export interface Hop {
  url: string;
  status: number;
  location: string | undefined;
  setCookies: string[];
}

export class TestBrowser {
  readonly cookies = new Map<string, Map<string, string>>();
  /** Headers sent with every request (e.g. a fake client IP for rate-limit tests). */
  readonly defaultHeaders: Record<string, string>;

  constructor(defaultHeaders: Record<string, string> = {}) {
    this.defaultHeaders = defaultHeaders;
  }

  cookieHeader(url: string): string {
    const jar = this.cookies.get(new URL(url).hostname);
    return jar ? [...jar].map(([k, v]) => `${k}=${v}`).join('; ') : '';
  }

  cookie(url: string, name: string): string | undefined {
    return this.cookies.get(new URL(url).hostname)?.get(name);
  }

  setCookie(url: string, name: string, value: string): void {
    const host = new URL(url).hostname;
    if (!this.cookies.has(host)) this.cookies.set(host, new Map());
    this.cookies.get(host)!.set(name, value);
  }

  /** One request, no redirect following; stores Set-Cookie like a browser would. */
  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers({ ...this.defaultHeaders, ...(init.headers as Record<string, string> | undefined) });
    const cookie = this.cookieHeader(url);
    if (cookie && !headers.has('cookie')) headers.set('cookie', cookie);
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    const host = new URL(url).hostname;
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      if (!this.cookies.has(host)) this.cookies.set(host, new Map());
      if (expired || value === '') this.cookies.get(host)!.delete(name);
      else this.cookies.get(host)!.set(name, value);
    }
    return response;
  }

  /** Follows redirects (GET) from `url`; returns the final response and every hop. */
  async follow(url: string, init: RequestInit = {}, maxHops = 10): Promise<{ response: Response; hops: Hop[]; url: string }> {
    const hops: Hop[] = [];
    let current = url;
    let response = await this.request(current, init);
    for (let i = 0; i < maxHops; i++) {
      const location = response.headers.get('location') ?? undefined;
      hops.push({ url: current, status: response.status, location, setCookies: response.headers.getSetCookie() });
      if (response.status < 300 || response.status >= 400 || !location) return { response, hops, url: current };
      await response.arrayBuffer();
      current = new URL(location, current).href;
      response = await this.request(current);
    }
    throw new Error(`more than ${maxHops} redirects from ${url}`);
  }
}

/** The first `<form>` of a page: its action (absolute) and its fields (inputs with a value). */
export function parseForm(html: string, pageUrl: string, formIndex = 0): { action: string; fields: Record<string, string> } {
  const forms = [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)];
  const form = forms[formIndex];
  if (!form) throw new Error(`no form #${formIndex} on ${pageUrl}`);
  const action = /\baction="([^"]*)"/i.exec(form[1]!)?.[1] ?? pageUrl;
  const fields: Record<string, string> = {};
  for (const input of form[2]!.matchAll(/<input\b([^>]*)>/gi)) {
    const name = /\bname="([^"]*)"/i.exec(input[1]!)?.[1];
    const value = /\bvalue="([^"]*)"/i.exec(input[1]!)?.[1] ?? '';
    if (name) fields[name] = decodeEntities(value);
  }
  return { action: new URL(decodeEntities(action), pageUrl).href, fields };
}

function decodeEntities(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCharCode(parseInt(n, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
