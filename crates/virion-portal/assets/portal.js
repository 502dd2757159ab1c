// Progressive enhancement for the search form: mutation and advanced-query fields are checked
// as you type, by asking this server's LAPIS route for the count the value alone selects. The
// form works the same without this script.
const form = document.querySelector('form.filters[data-lapis]');
if (form) {
  const root = form.dataset.lapis;
  for (const input of form.querySelectorAll('[data-validate]')) {
    const live = document.getElementById(`${input.id}-live`);
    let timer;
    let asked = 0;
    input.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const value = input.value.trim();
        const ticket = ++asked;
        if (!value) {
          live.textContent = '';
          input.removeAttribute('aria-invalid');
          return;
        }
        const url = `${root}/sample/aggregated?${new URLSearchParams({ [input.dataset.validate]: value })}`;
        try {
          const response = await fetch(url);
          const body = await response.json();
          if (ticket !== asked) return; // an older answer arriving late
          if (response.ok) {
            input.removeAttribute('aria-invalid');
            live.className = 'live ok';
            live.textContent = `${body.data[0].count.toLocaleString('en')} sequences match this alone`;
          } else {
            input.setAttribute('aria-invalid', 'true');
            live.className = 'live bad';
            live.textContent = body.error?.detail ?? body.detail ?? 'not understood';
          }
        } catch {
          live.textContent = '';
        }
      }, 300);
    });
  }
}
