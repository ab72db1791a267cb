// `npm run build:manifest`: widget/dist/custom-elements.json from the JSDoc tags of the element.
export default {
  globs: ['widget/gd-staff-login.ts', 'widget/index.ts'],
  outdir: 'widget/dist',
  litelement: true,
  dependencies: false,
  packagejson: false,
  plugins: [
    {
      // The analyzer also lists `dispatchEvent(new CustomEvent(type, …))` inside the private
      // #emit helper as an event named "type"; the real events are the @fires tags.
      name: 'gd-staff-login:events-from-tags-only',
      packageLinkPhase({ customElementsManifest }) {
        for (const mod of customElementsManifest.modules) {
          for (const declaration of mod.declarations ?? []) {
            if (declaration.events) declaration.events = declaration.events.filter((e) => e.name?.startsWith('gd-'));
          }
        }
      },
    },
  ],
};
