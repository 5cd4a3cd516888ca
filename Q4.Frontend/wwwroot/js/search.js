// The search page works without script: the form is a GET, "Load more" a link to the next page. With script, a
// search says it is loading until the new results arrive, and "Load more" appends the next page here.
document.addEventListener('submit', event => {
  if (!event.target.matches('form.search-form')) return;
  const searching = document.querySelector('[data-searching]');
  if (searching) searching.hidden = false;
  document.querySelector('[data-search-results]')?.setAttribute('aria-busy', 'true');
});

document.addEventListener('click', async event => {
  const link = event.target.closest('a[data-load-more]');
  if (!link) return;
  // Before Blazor's enhanced navigation sees the click (it would replace the page with the next one).
  event.preventDefault();
  event.stopPropagation();
  link.setAttribute('aria-busy', 'true');
  link.textContent = 'Loading…';
  try {
    const response = await fetch(link.href, { headers: { accept: 'text/html' } });
    if (!response.ok) throw new Error(response.statusText);
    const next = new DOMParser().parseFromString(await response.text(), 'text/html');
    const list = document.querySelector('[data-results]');
    for (const item of next.querySelectorAll('[data-results] > li')) list.append(document.adoptNode(item));
    const nextLink = next.querySelector('a[data-load-more]');
    if (nextLink) {
      link.href = nextLink.href;
      link.textContent = 'Load more';
      link.removeAttribute('aria-busy');
    } else {
      link.parentElement.remove();
    }
  } catch {
    // The plain link still works: follow it.
    window.location.href = link.href;
  }
}, { capture: true });

// The form shows the URL's choices. A search is a full page load, and the form says autocomplete="off" so that the
// back button does not bring back what was picked last; after an enhanced navigation a select would also keep what
// the user last picked, whatever option the new page marks as selected.
window.Blazor?.addEventListener('enhancedload', () => {
  const query = new URLSearchParams(location.search);
  for (const select of document.querySelectorAll('form.search-form select')) {
    const wanted = query.get(select.name) ?? '';
    select.value = [...select.options].some(o => o.value === wanted) ? wanted : '';
  }
});
