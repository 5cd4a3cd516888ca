// A live auction page. <q4-auction> opens the auction's event stream on the front end's own origin while it is on the
// page (enhanced navigation adds and removes it without a full load), so the browser's EventSource reconnects by
// itself with Last-Event-ID and misses nothing. Bids arrive in the feed, the price, minimum and countdown follow them,
// and the bid form posts with fetch so the page (and its stream) stay. Every text from the API goes in as text.

// Amounts from the API are euro cents. As Format.Price writes them on the server: "€120" when whole euros, "€120.50"
// otherwise, en-US grouping; and as Format.Euros puts them in a form field ("120", "120.50").
const price = cents => {
  const whole = Number(cents) % 100 === 0;
  return '€' + (Number(cents) / 100).toLocaleString('en-US', { minimumFractionDigits: whole ? 0 : 2, maximumFractionDigits: whole ? 0 : 2 });
};
const euros = cents => (Number(cents) / 100).toFixed(Number(cents) % 100 === 0 ? 0 : 2);
// As Format.Clock writes a bid's time.
const clock = iso => new Date(iso).toISOString().slice(11, 19) + ' UTC';
const bids = count => count === 1 ? '1 bid' : `${count.toLocaleString('en-US')} bids`;

function left(ms) {
  if (ms <= 0) return 'Ending…';
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400), h = Math.floor(s / 3600) % 24, m = Math.floor(s / 60) % 60, sec = s % 60;
  if (d > 0) return `${d} d ${h} h left`;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min left`;
  return m > 0 ? `${m} min ${String(sec).padStart(2, '0')} s left` : `${sec} s left`;
}

// Every countdown under root says the time left until its datetime; the rendered end stays as its title.
function tick(root) {
  for (const countdown of root.querySelectorAll('[data-countdown]')) {
    if (!countdown.title) countdown.title = countdown.textContent;
    countdown.textContent = left(new Date(countdown.dateTime) - Date.now());
  }
}

// Moves a countdown to a later end; false when the end did not move.
function moveCountdown(countdown, endsAt) {
  if (!countdown || !endsAt || new Date(endsAt) <= new Date(countdown.dateTime)) return false;
  countdown.dateTime = endsAt;
  countdown.title = '';
  return true;
}

class Q4Auction extends HTMLElement {
  static observedAttributes = ['data-auction-id', 'data-last-event-id'];

  connectedCallback() {
    this.addEventListener('submit', this);
    this.start();
  }

  disconnectedCallback() {
    this.removeEventListener('submit', this);
    this.stop();
  }

  // Enhanced navigation from one auction to another may keep this element and change its id.
  attributeChangedCallback(name, before, after) {
    if (this.isConnected && before !== null && before !== after) {
      this.stop();
      this.start();
    }
  }

  start() {
    const id = this.dataset.auctionId;
    this.timer = setInterval(() => this.tick(), 1000);
    this.tick();
    if (this.dataset.status === 'ended') return;
    // From the newest event the page shows, so a bid placed while the page was on its way is not missed.
    const from = this.dataset.lastEventId;
    const query = from ? `?lastEventId=${encodeURIComponent(from)}` : '';
    const source = this.source = new EventSource(`/auctions/${encodeURIComponent(id)}/events${query}`);
    source.onopen = () => { this.dataset.live = 'open'; };
    source.onerror = () => { this.dataset.live = source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting'; };
    source.addEventListener('bid', e => this.bid(JSON.parse(e.data)));
    source.addEventListener('extended', e => this.extended(JSON.parse(e.data)));
    source.addEventListener('closed', () => this.refresh());
    source.addEventListener('reload', () => this.refresh());
  }

  stop() {
    this.source?.close();
    this.source = null;
    clearInterval(this.timer);
    delete this.dataset.live;
  }

  $(selector) { return this.querySelector(selector); }

  tick() { tick(this); }

  bid(bid) {
    const list = this.$('[data-bid-list]');
    if (this.querySelector(`[data-bid-id="${CSS.escape(bid.id)}"]`)) return;
    if (list && this.dataset.liveFeed === 'on') {
      const item = document.createElement('li');
      item.dataset.bidId = bid.id;
      const amount = Object.assign(document.createElement('span'), { className: 'amount', textContent: price(bid.amount) });
      const bidder = Object.assign(document.createElement('span'), { className: 'bidder', textContent: bid.bidder.name });
      const time = Object.assign(document.createElement('time'), { dateTime: bid.placedAt, textContent: clock(bid.placedAt) });
      item.append(amount, ' ', bidder, ' ', time);
      item.classList.add('new');
      list.prepend(item);
      this.$('[data-no-bids]')?.setAttribute('hidden', '');
    }
    const count = Number(this.dataset.bidCount) + 1;
    this.dataset.bidCount = count;
    this.text('[data-bid-count-text]', bids(count));
    this.text('[data-price]', price(bid.amount));
    this.minimum(bid.minimumBid ?? bid.amount + Number(this.dataset.increment));
    this.moveEnd(bid.endsAt);
    const mine = bid.bidder.id === this.dataset.userId;
    const standing = this.$('[data-standing]');
    if (standing && this.dataset.userId) {
      if (mine) this.stand('highest', 'You are the highest bidder.');
      else if (standing.dataset.standing !== 'none') this.stand('outbid', 'You were outbid.');
    }
    this.text('[data-announce]', `New bid: ${price(bid.amount)} by ${mine ? 'you' : bid.bidder.name}.`);
  }

  extended(event) {
    this.moveEnd(event.endsAt);
  }

  moveEnd(endsAt) {
    if (!moveCountdown(this.$('[data-countdown]'), endsAt)) return;
    const notice = this.$('[data-end-moved]');
    if (notice) {
      notice.textContent = `A late bid moved the end to ${new Date(endsAt).toLocaleTimeString()}.`;
      notice.hidden = false;
    }
    this.tick();
  }

  // The minimum next bid, in cents: shown as a price, and in euros in the bid box's min and the quick amounts.
  minimum(cents) {
    this.text('[data-minimum]', price(cents));
    const input = this.$('[data-amount]');
    if (input) input.min = euros(cents);
    for (const button of this.querySelectorAll('[data-quick]')) {
      const quick = cents + Number(button.dataset.quick) * Number(this.dataset.increment);
      button.value = euros(quick);
      button.textContent = `Bid ${price(quick)}`;
    }
  }

  stand(state, text) {
    const standing = this.$('[data-standing]');
    standing.dataset.standing = state;
    standing.className = `standing standing-${state}`;
    standing.textContent = text;
  }

  text(selector, value) {
    const element = this.$(selector);
    if (element) element.textContent = value;
  }

  // The auction closed, or the stream lost events it can no longer replay: the server renders the page as it is now.
  async refresh() {
    this.stop();
    try {
      const response = await fetch(location.href, { headers: { accept: 'text/html' } });
      const next = new DOMParser().parseFromString(await response.text(), 'text/html').querySelector('q4-auction');
      if (!next) return;
      for (const part of ['[data-bid-panel]', '.bid-history']) {
        const fresh = next.querySelector(part);
        if (fresh) this.$(part)?.replaceWith(document.adoptNode(fresh));
      }
      Object.assign(this.dataset, { status: next.dataset.status, bidCount: next.dataset.bidCount });
    } finally {
      this.start();
    }
  }

  // The bid form: sent with fetch, answered in words in place. A second press while one is on its way is ignored (and
  // would carry the same Idempotency-Key, so the API would place it once anyway).
  async handleEvent(event) {
    const form = event.target.closest('form[data-bid-form]');
    if (!form || form.dataset.native) return;
    event.preventDefault();
    if (this.sending) return;
    this.sending = true;
    form.setAttribute('aria-busy', 'true');
    const message = form.querySelector('[data-bid-message]');
    try {
      const response = await fetch(form.dataset.action, {
        method: 'POST', body: new FormData(form, event.submitter), redirect: 'manual', headers: { accept: 'application/json' },
      });
      if (!(response.headers.get('content-type') ?? '').includes('json')) throw new Error(`answered ${response.status}`);
      const answer = await response.json();
      form.querySelector('[data-idempotency-key]').value = answer.idempotencyKey;
      message.textContent = answer.message;
      message.className = `bid-message ${answer.accepted ? 'accepted' : 'refused'}`;
      if (answer.minimumBid) this.minimum(answer.minimumBid);
      if (answer.accepted) {
        this.stand('highest', 'You are the highest bidder.');
        form.querySelector('[data-amount]').value = '';
      }
    } catch {
      // Not an answer this script understands (signed out, say): the plain form post takes over.
      form.dataset.native = 'true';
      form.requestSubmit(event.submitter);
    } finally {
      this.sending = false;
      form.removeAttribute('aria-busy');
    }
  }
}

customElements.define('q4-auction', Q4Auction);

// A list of auction cards (AuctionCard.razor): one event stream for all of them (/auctions/events?ids=...), however
// many there are, moving each card's price, bid count and end as bids arrive. The ids are an attribute, so a page that
// arrives by enhanced navigation with other cards restarts the stream.
class Q4Cards extends HTMLElement {
  static observedAttributes = ['data-ids'];

  connectedCallback() { this.start(); }

  disconnectedCallback() { this.stop(); }

  attributeChangedCallback(name, before, after) {
    if (this.isConnected && before !== null && before !== after) {
      this.stop();
      this.start();
    }
  }

  start() {
    this.timer = setInterval(() => tick(this), 1000);
    tick(this);
    const ids = this.dataset.ids;
    if (!ids) return;
    // The stream's id holds a position per auction, in the order of ids. It starts from the oldest any card of an
    // auction shows (two rows may have read it at different moments); each card then takes only events newer than its
    // own. A card whose position is unknown makes the whole stream start at the newest events, as it would without.
    const order = ids.split(',');
    const starts = order.map(id => {
      const shown = [...this.cards(id)].map(card => card.dataset.lastEventId);
      return shown.length && shown.every(Boolean) ? shown.reduce((oldest, at) => newer(oldest, at) ? at : oldest) : undefined;
    });
    const query = starts.every(at => at) ? `&lastEventId=${encodeURIComponent(starts.join('.'))}` : '';
    const source = this.source = new EventSource(`/auctions/events?ids=${encodeURIComponent(ids)}${query}`);
    // The cards of the auction an event concerns that had not seen it yet, each moved on to it.
    const unseen = (e, auctionId) => {
      const at = e.lastEventId.split('.')[order.indexOf(auctionId)];
      return [...this.cards(auctionId)].filter(card => {
        if (at && card.dataset.lastEventId && !newer(at, card.dataset.lastEventId)) return false;
        if (at) card.dataset.lastEventId = at;
        return true;
      });
    };
    source.onopen = () => { this.dataset.live = 'open'; };
    source.onerror = () => { this.dataset.live = source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting'; };
    source.addEventListener('bid', e => {
      const bid = JSON.parse(e.data);
      for (const card of unseen(e, bid.auctionId)) {
        card.querySelector('[data-card-price]').textContent = price(bid.amount);
        const count = card.querySelector('[data-card-bids]');
        count.dataset.cardBids = Number(count.dataset.cardBids) + 1;
        count.textContent = bids(Number(count.dataset.cardBids));
        moveCountdown(card.querySelector('[data-countdown]'), bid.endsAt);
        card.classList.remove('moved');
        void card.offsetWidth;
        card.classList.add('moved');
      }
      tick(this);
    });
    source.addEventListener('extended', e => {
      const event = JSON.parse(e.data);
      for (const card of unseen(e, event.auctionId)) moveCountdown(card.querySelector('[data-countdown]'), event.endsAt);
      tick(this);
    });
    source.addEventListener('closed', e => {
      for (const card of unseen(e, JSON.parse(e.data).auctionId)) {
        const time = card.querySelector('[data-countdown]');
        if (time) time.replaceWith('Ended');
      }
    });
  }

  stop() {
    this.source?.close();
    this.source = null;
    clearInterval(this.timer);
    delete this.dataset.live;
  }

  cards(auctionId) {
    return this.querySelectorAll(`[data-card-id="${CSS.escape(auctionId)}"]`);
  }
}

customElements.define('q4-cards', Q4Cards);

// Whether stream id a ("<ms>-<n>", as Redis makes them) comes after b.
function newer(a, b) {
  const [am, an] = a.split('-').map(Number);
  const [bm, bn] = b.split('-').map(Number);
  return am !== bm ? am > bm : an > bn;
}
