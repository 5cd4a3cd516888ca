// The sell form works without script: a multipart post that carries the files. With script, every photo chosen or
// dropped is uploaded at once through the front end (POST /sell/photos, which adds the user's token and answers as
// the API does), with a preview, a progress bar and the reason when it is refused; the form then sends only the ids
// of the photos that arrived. Listeners sit on the document, so pages reached by enhanced navigation work too.

const form = () => document.querySelector('form[data-sell-form]');

// The browser's time zone goes with the form, so the server reads the datetime-local fields as the user meant them.
function noteTimeZone() {
  const sell = form();
  if (!sell) return;
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const field = sell.querySelector('[data-time-zone]');
  if (!zone || !field) return;
  field.value = zone;
  const note = sell.querySelector('[data-time-zone-note]');
  if (note) note.textContent = zone === 'UTC' || zone === 'Etc/UTC' ? 'Times are in UTC.' : `Times are in your time zone, ${zone}.`;
  for (const hint of sell.querySelectorAll('[data-drop-hint]')) hint.hidden = false;
}

noteTimeZone();
document.addEventListener('DOMContentLoaded', noteTimeZone);
window.Blazor?.addEventListener('enhancedload', noteTimeZone);

document.addEventListener('change', event => {
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || !input.matches('[data-photo-input]')) return;
  const files = [...input.files];
  // The files are the script's now; left in the input they would be posted again with the form.
  input.value = '';
  files.forEach(upload);
});

document.addEventListener('dragover', event => {
  const zone = event.target.closest?.('[data-dropzone]');
  if (!zone) return;
  event.preventDefault();
  zone.classList.add('dragging');
});

document.addEventListener('dragleave', event => {
  event.target.closest?.('[data-dropzone]')?.classList.remove('dragging');
});

document.addEventListener('drop', event => {
  const zone = event.target.closest?.('[data-dropzone]');
  if (!zone) return;
  event.preventDefault();
  zone.classList.remove('dragging');
  [...event.dataTransfer.files].forEach(upload);
});

document.addEventListener('click', event => {
  const button = event.target.closest('button[data-remove]');
  if (!button) return;
  const item = button.closest('li');
  item.upload?.abort();
  if (item.preview) URL.revokeObjectURL(item.preview);
  const list = item.parentElement;
  item.remove();
  list?.closest('fieldset')?.querySelector('[data-photo-input]')?.focus();
  updatePending();
});

document.addEventListener('submit', event => {
  if (!event.target.matches('form[data-sell-form]')) return;
  noteTimeZone();
  if (event.target.querySelector('li[data-state="uploading"]')) {
    event.preventDefault();
    updatePending(true);
  }
});

function updatePending(show) {
  const message = form()?.querySelector('[data-photos-pending]');
  if (!message) return;
  const uploading = !!form().querySelector('li[data-state="uploading"]');
  message.hidden = !(uploading && (show || !message.hidden));
}

function upload(file) {
  const sell = form();
  const list = sell?.querySelector('[data-photo-list]');
  if (!list) return;

  const item = document.createElement('li');
  item.className = 'photo';
  item.dataset.state = 'uploading';
  const preview = document.createElement('img');
  preview.alt = `Preview of ${file.name}`;
  preview.width = 96;
  preview.height = 72;
  const name = document.createElement('span');
  name.className = 'photo-name';
  name.textContent = file.name;
  const progress = document.createElement('progress');
  progress.max = 100;
  progress.value = 0;
  progress.setAttribute('aria-label', `Upload of ${file.name}`);
  const status = document.createElement('span');
  status.className = 'photo-status';
  status.setAttribute('role', 'status');
  status.textContent = 'Uploading…';
  const remove = document.createElement('button');
  remove.type = 'button';
  remove.dataset.remove = '';
  remove.textContent = 'Remove';
  remove.setAttribute('aria-label', `Remove ${file.name}`);
  item.append(preview, name, progress, status, remove);
  list.append(item);

  const fail = message => {
    item.dataset.state = 'failed';
    progress.remove();
    status.setAttribute('role', 'alert');
    status.textContent = message;
    updatePending();
  };

  if (!file.type.startsWith('image/')) {
    preview.remove();
    fail('Not an image: choose a JPEG, PNG, WebP or GIF file.');
    return;
  }
  item.preview = preview.src = URL.createObjectURL(file);

  const body = new FormData();
  body.append('file', file, file.name);
  const request = new XMLHttpRequest();
  item.upload = request;
  request.open('POST', sell.dataset.uploadUrl);
  request.setRequestHeader('RequestVerificationToken', sell.querySelector('input[name="__RequestVerificationToken"]')?.value ?? '');
  request.setRequestHeader('Accept', 'application/json');
  request.upload.addEventListener('progress', e => {
    if (!e.lengthComputable) return;
    progress.value = Math.round(100 * e.loaded / e.total);
    status.textContent = `Uploading… ${progress.value}%`;
  });
  request.addEventListener('load', () => {
    item.upload = null;
    let answer = null;
    try { answer = JSON.parse(request.responseText); } catch { /* not JSON: the status says enough */ }
    if (request.status === 201 && answer?.id) {
      progress.value = 100;
      item.dataset.state = 'done';
      status.textContent = 'Uploaded';
      const id = document.createElement('input');
      id.type = 'hidden';
      id.name = 'imageIds';
      id.value = answer.id;
      item.append(id);
      updatePending();
      return;
    }
    fail(refusal(request, answer));
  });
  request.addEventListener('error', () => { item.upload = null; fail('The upload failed: check your connection and try again.'); });
  request.send(body);
}

/** Why the API refused a photo, in words; the server says the same for uploads made without script. */
function refusal(request, problem) {
  switch (problem?.code) {
    case 'too_large':
      return `Too large. ${problem.detail ?? ''}`.trim();
    case 'unsupported_type':
      return 'Not an image this site accepts (JPEG, PNG, WebP or GIF).';
    case 'rate_limited': {
      const seconds = Number(request.getResponseHeader('Retry-After'));
      if (!Number.isFinite(seconds)) return 'Too many uploads for now; try again later.';
      const at = new Date(Date.now() + seconds * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
      return `Too many uploads; you can upload again at ${at}.`;
    }
    case 'signed_out':
      return 'You were signed out: reload the page to sign in again.';
    case 'user_blocked':
      return 'Your account is blocked: you cannot upload photos.';
  }
  if (request.status === 413) return 'Too large.';
  return problem?.detail ?? problem?.title ?? `The upload failed (${request.status}); try again.`;
}
