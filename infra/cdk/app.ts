import { createChatApp } from './create-app.ts';

// Entry named in cdk.json. The CLI synthesizes the app when this process exits.
createChatApp();
