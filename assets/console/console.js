// nightshift console: progressive enhancement only. Every page works without it; this keeps a running
// run's timeline fresh by fetching its server-rendered fragment once a second while the run is active
// (the fragment drops its data-live attribute once the run has ended, and polling stops).
async function refresh() {
  const current = document.querySelector('[data-live]');
  if (!current) return;
  const res = await fetch(current.getAttribute('data-live'), { headers: { accept: 'text/html' } });
  if (res.ok) {
    const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
    const next = doc.body.firstElementChild;
    if (next) current.replaceWith(next);
  }
  if (document.querySelector('[data-live]')) setTimeout(refresh, 1000);
}
if (document.querySelector('[data-live]')) setTimeout(refresh, 1000);
