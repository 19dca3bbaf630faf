export { createScriptedModel } from './scripted-model.js';
export { loadScript, ScriptFile, ScriptTurn } from './script-file.js';
