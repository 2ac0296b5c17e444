// The generic detector `auto` falls back to when no template marker identifies the model: it accepts the
// common call forms (hermes tags) and nothing that is ordinary prose, Markdown, JSON data or bracketed text.
import type { ToolCallFormat } from '../types.js';
import { scanHermes } from './hermes.js';

export const autoFormat: ToolCallFormat = {
  name: 'auto',
  aliases: ['generic'],
  family: 'generic',
  markers: [],
  idStyle: 'openai',
  scan: scanHermes,
};
