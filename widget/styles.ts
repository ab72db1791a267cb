import { css } from 'lit';

/**
 * Styles of `<gd-staff-login>`. The public knobs are the `--gd-login-*` custom properties; the
 * private `--_*` ones carry theme and size, so `theme="dark"` and `size` only swap defaults and a
 * host's own value always wins. Lengths are in `em`: the element follows the page's font size.
 * Kept terse on purpose: every byte here ships to every visitor of every business system.
 */
export const styles = css`
  :host {
    --_primary: var(--gd-login-color-primary, #1256a8);
    --_on-primary: var(--gd-login-color-on-primary, #fff);
    --_text: var(--gd-login-color-text, #1f2937);
    --_surface: var(--gd-login-color-surface, #fff);
    --_border: var(--gd-login-color-border, #c4cdd9);
    --_danger: var(--gd-login-color-danger, #b42318);
    --_hover: var(--gd-login-color-hover, rgb(0 0 0 / 0.1));
    --_radius: var(--gd-login-radius, 0.375em);
    --_gap: var(--gd-login-spacing, 0.5em);
    --_pad: 0.5em 1em;
    --_fs: 1em;
    display: inline-block;
    position: relative;
    vertical-align: middle;
    font-family: var(--gd-login-font-family, system-ui, sans-serif);
    line-height: 1.4;
    color: var(--_text);
  }
  :host([theme='dark']) {
    --_primary: var(--gd-login-color-primary, #8ab4f8);
    --_on-primary: var(--gd-login-color-on-primary, #0b1d36);
    --_text: var(--gd-login-color-text, #e5e9f0);
    --_surface: var(--gd-login-color-surface, #1e2633);
    --_border: var(--gd-login-color-border, #4a5566);
    --_danger: var(--gd-login-color-danger, #ffb4ab);
    --_hover: var(--gd-login-color-hover, rgb(255 255 255 / 0.12));
  }
  :host([size='small']) {
    --_pad: 0.3em 0.75em;
    --_fs: 0.875em;
  }
  :host([size='large']) {
    --_pad: 0.7em 1.4em;
    --_fs: 1.125em;
  }
  .base,
  .actions,
  button {
    display: inline-flex;
    align-items: center;
    gap: var(--_gap);
  }
  .base {
    /* A block-level flex box inside the inline-block host: no baseline gap under it, so the
       element keeps one height from checking to logged out. */
    display: flex;
    flex-wrap: wrap;
    font-size: var(--_fs);
  }
  button,
  input {
    font: inherit;
    color: inherit;
    margin: 0;
  }
  .btn {
    padding: var(--_pad);
    border: 1px solid var(--_primary);
    border-radius: var(--_radius);
    background: var(--_primary);
    color: var(--_on-primary);
    font-weight: 600;
    cursor: pointer;
  }
  :host([variant='outline']) .btn,
  .quiet {
    background: none;
    color: var(--_primary);
  }
  .btn:hover,
  [role='menuitem']:is(:hover, :focus),
  ::slotted([role='menuitem']:is(:hover, :focus)) {
    background-image: linear-gradient(var(--_hover) 0 0);
  }
  [aria-disabled='true'] {
    cursor: progress;
    opacity: 0.8;
  }
  :focus-visible {
    outline: 0.125em solid var(--gd-login-color-focus, var(--_primary));
    outline-offset: 0.125em;
  }
  .caret {
    border: 0.3em solid transparent;
    border-top-color: currentColor;
    margin-top: 0.3em;
  }
  .spin {
    width: 1em;
    height: 1em;
    box-sizing: border-box;
    border: 0.15em solid;
    border-inline-end-color: transparent;
    border-radius: 50%;
    animation: spin 0.8s linear infinite;
  }
  @keyframes spin {
    to {
      rotate: 1turn;
    }
  }
  .skeleton {
    /* The login button's size: line-height 1.4em + 2 × 0.5em padding + 2 × 1px border. */
    width: 14em;
    height: calc(2.4em + 2px);
    border-radius: var(--_radius);
    background: var(--_hover);
  }
  .error {
    max-width: 28em;
    color: var(--_danger);
    font-size: 0.875em;
  }
  .popup {
    position: absolute;
    inset-inline-end: 0;
    top: calc(100% + 0.25em);
    z-index: var(--gd-login-z-index, 1000);
    min-width: 15em;
    padding: 0.25em 0;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface);
    box-shadow: var(--gd-login-shadow, 0 0.5em 1.5em rgb(0 0 0 / 0.2));
  }
  .card,
  [role='menu'],
  form,
  label {
    display: grid;
  }
  .card {
    padding: 0.5em 1em;
    border-bottom: 1px solid var(--_border);
  }
  .card span {
    margin: 0;
    font-size: 0.875em;
    opacity: 0.85;
  }
  [role='menuitem'],
  ::slotted([role='menuitem']) {
    padding: 0.5em 1em;
    border: 0;
    background: none;
    color: var(--_text);
    text-decoration: none;
    cursor: pointer;
    outline-offset: -0.125em;
  }
  [part~='logout-item'] {
    border-top: 1px solid var(--_border);
  }
  dialog {
    width: min(24em, 90vw);
    padding: 1.5em;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface);
    color: var(--_text);
  }
  dialog::backdrop {
    background: rgb(0 0 0 / 0.45);
  }
  h2 {
    margin: 0;
    font-size: 1.25em;
  }
  form {
    gap: 0.75em;
  }
  label {
    gap: 0.25em;
    font-weight: 600;
  }
  input {
    padding: 0.5em;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface);
  }
  [aria-invalid='true'] {
    border-color: var(--_danger);
  }
  form .error {
    margin: 0;
  }
  .actions {
    justify-content: end;
  }
  .sr {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip-path: inset(50%);
  }
  @media (prefers-reduced-motion: reduce) {
    * {
      animation: none !important;
    }
  }
`;
