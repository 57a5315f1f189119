// htm bound to preact's h: tagged templates instead of JSX, so the page needs no build step.
import htm from 'htm';
import { h } from 'preact';

export const html = htm.bind(h);
