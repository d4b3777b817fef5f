// The chat client's entry point. A small client on the public API only: HTTP for everything stored, the WebSocket
// for live frames. No framework, no build step: these files deploy as they are to any static host next to a
// config.json. Each screen is its own module; importing it wires its part of the page.
import { signOut } from './api.js';
import { state } from './state.js';
import { start } from './login.js';
import './contacts.js';
import './conversations.js';
import './messages.js';
import './composer.js';
import './mention-picker.js';
import './group-panel.js';
import './settings.js';

// config.json sits beside these files: locally the stack serves it; on a static host, deploy your own.
state.config = { ...state.config, ...(await fetch('config.json').then((r) => r.json()).catch(() => ({}))) };
if (state.token) await start().catch(() => signOut());
