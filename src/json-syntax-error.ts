// JSON.parse's complaint about text someone else wrote (a model's answer, a provider's stream event),
// told without quoting that text.

/**
 * V8 quotes up to ten characters either side of where parsing stopped (`...": 1, "b": sk-live-SU"... is
 * not valid JSON`): a piece of a secret the model wrote there would be stored, logged and shown, since
 * redaction recognises whole values only. The position and the unexpected character stay; a message still
 * holding a quote after that is replaced whole (fail closed).
 */
export function syntaxErrorWithoutQuote(err: Error): string {
  const message = err.message.replace(
    /,\s*(?:\.\.\.)?"[\s\S]*"(?:\.\.\.)?\s+is not valid JSON$/,
    ' is not valid JSON',
  );
  return message.includes('"') ? 'not valid JSON' : message;
}
