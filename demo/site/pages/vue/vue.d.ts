// `.vue` files for `tsc` (it checks demo/ but not the inside of single-file components).
declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent;
  export default component;
}
