// A JSON POST to a destination the role fixed (never one the model chose), with a time limit and an
// answer size cap. Used by the notify tools.
export async function postJson(
  url: string,
  body: unknown,
  options: { headers?: Record<string, string>; timeoutMs: number; signal: AbortSignal; what: string },
): Promise<{ status: number; text: string }> {
  const text = JSON.stringify(body);
  let res: globalThis.Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...options.headers },
      body: text,
      redirect: 'error',
      signal: AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    throw new Error(
      `${options.what}: ${e.name === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : (e.cause?.code ?? e.message)}`,
    );
  }
  const answer = (await res.text()).slice(0, 4096);
  if (!res.ok) throw new Error(`${options.what}: HTTP ${res.status} ${answer.slice(0, 200)}`);
  return { status: res.status, text: answer };
}
