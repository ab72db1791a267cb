import fs from 'node:fs'; import zlib from 'node:zlib';
const s = fs.readFileSync('widget/dist/gd-staff-login.lit-external.js','utf8').replace(/\/\/# sourceMappingURL.*\n?$/,'');
const g = t => zlib.gzipSync(t,{level:9}).length;
const a=s.indexOf('var a={invalid_redirect'), b=s.indexOf('function o(e)');
const cssStart=s.indexOf(':host'), cssEnd=s.indexOf('`',cssStart);
const msgA=s.indexOf('var s={login'), msgB=s.indexOf('function l(e)');
console.log({total:g(s), noCat:g(s.slice(0,a)+s.slice(b)), noCss:g(s.slice(0,cssStart)+s.slice(cssEnd)), noMsg: g(s.slice(0,msgA)+s.slice(msgB)), onlyCat: g(s.slice(a,b))});
