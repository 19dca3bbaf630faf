export { loadScript, ScriptFile, ScriptTurn } from './script-file.js';
export { createScriptedModel } from './scripted-model.js';
