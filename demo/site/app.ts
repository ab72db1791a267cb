/**
 * The demo business system: one page with `<gd-staff-login>`, a panel that shows what the BFF
 * knows about the logged-in user (server-rendered through `bff.loadUser()`), and a page that
 * only logged-in staff may open (`bff.requireLogin()`), the way a host application uses the BFF.
 */
import express, { type Express } from 'express';
import helmet from 'helmet';
import { fileURLToPath } from 'node:url';
import type { Bff } from '../../bff/index.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const widgetDist = fileURLToPath(new URL('../../widget/dist/', import.meta.url));
/** The Vite-built demo pages (`npm run build:demo`, from `demo/site/pages/`). */
const pagesDist = fileURLToPath(new URL('./dist/', import.meta.url));

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/demo.css">
<script type="module" src="/widget/gd-staff-login.js"></script>
</head>
<body>
<header class="top">
  <a class="brand" href="/">示例业务系统 <small>Demo business system</small></a>
  <gd-staff-login></gd-staff-login>
</header>
<main>
${body}
</main>
</body>
</html>`;
}

const demoPages = `<p class="demo-pages">同一组件在 Vite 构建的页面中 / The element in pages built by Vite:
<a href="/plain.html">纯 HTML 页面 / plain HTML page</a> · <a href="/vue/">Vue 3 页面 / Vue 3 page</a></p>`;

export interface DemoSiteOptions {
  /** Where the BFF is mounted (the same origin as the page). */
  mountPath?: string;
}

export function createDemoSite(bff: Bff, options: DemoSiteOptions = {}): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          frameAncestors: ["'none'"],
          baseUri: ["'none'"],
          formAction: ["'self'"],
          objectSrc: ["'none'"],
        },
      },
      strictTransportSecurity: false,
    }),
  );
  app.use(options.mountPath ?? '/auth', bff);
  app.use('/widget', express.static(widgetDist, { fallthrough: false }));
  app.use(express.static(`${here}/public`, { index: false }));

  app.get('/', bff.loadUser(), (req, res) => {
    const staff = req.gdStaff;
    const panel = staff
      ? `<h1>欢迎，${escapeHtml(staff.user.name ?? staff.user.id)}</h1>
<p>以下是本系统后端（BFF）从省政务认证平台获得并保存在会话中的信息（仅白名单字段）：</p>
<pre id="session-user">${escapeHtml(JSON.stringify(staff, null, 2))}</pre>
<p><a href="/protected">打开仅限登录用户的页面 / Open the staff-only page</a></p>
${demoPages}`
      : `<h1>示例业务系统</h1>
<p>请点击右上角的“政务人员统一身份认证登录”按钮，通过省政务认证平台（本地沙箱）登录。</p>
<p id="session-user">未登录 / not logged in</p>
${demoPages}`;
    res.type('html').send(page('示例业务系统', panel));
  });

  app.get('/protected', bff.requireLogin(), (req, res) => {
    const name = req.gdStaff?.user.name ?? req.gdStaff?.user.id ?? '';
    res.type('html').send(page('仅限登录用户', `<h1>仅限登录用户的页面</h1><p id="protected-user">${escapeHtml(name)}，您已通过统一身份认证。</p><p><a href="/">返回首页</a></p>`));
  });

  // The Vite-built pages: /plain.html, /vue/ and their /assets/ (same CSP: all files, no inline code).
  app.use(express.static(pagesDist, { index: 'index.html' }));
  app.get(['/plain.html', '/vue', '/vue/'], (_req, res) => {
    res.status(404).type('text').send('演示页面尚未构建，请运行 npm run build:demo / The demo pages are not built: run npm run build:demo\n');
  });

  return app;
}
