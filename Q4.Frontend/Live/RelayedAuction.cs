using System.Net;
using System.Text;
using System.Threading.Channels;

namespace Q4.Frontend.Live;

/// <summary>
/// One auction's stream from the API and the browsers that watch it through this replica. One task reads the stream
/// (<see cref="RunAsync"/>); each event is kept (the newest <see cref="LiveOptions.KeptEvents"/>) and queued to every
/// watcher under one lock, the same lock a new watcher takes to read what it missed and join, so a watcher gets
/// every event after its last exactly once, whichever side of a new event it joins on.
/// </summary>
internal sealed class RelayedAuction(Guid auctionId, LiveOptions options, TimeProvider time, LiveEventsMetrics metrics)
{
    private readonly Lock _gate = new();
    private readonly Queue<(string Id, ReadOnlyMemory<byte> Frame)> _kept = new();
    private readonly List<RelayWatcher> _watchers = [];
    private readonly TaskCompletionSource<bool> _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _closing = new();

    /// <summary>The id of the newest event this relay has (or the stream's opening id): where a new watcher starts.</summary>
    private string? _newest;

    /// <summary>The id of the event just before the oldest kept one: a watcher whose last event it is misses only kept ones.</summary>
    private string? _keptAfter;

    /// <summary>The replica the stream comes from, and the one whose stream broke last (tried last next time).</summary>
    private string? _source, _broken;

    private long _lastSent = time.GetTimestamp();
    private long _unwatchedSince = time.GetTimestamp();
    private bool _closed;

    public Guid AuctionId => auctionId;

    /// <summary>True once the API's stream opened; false if the API refused it (no such auction).</summary>
    public Task<bool> Opened => _opened.Task;

    /// <summary>
    /// Joins a watcher whose last event is <paramref name="lastEventId"/> (null for a new one). False when this relay
    /// closed; otherwise true, with a null <paramref name="watcher"/> when its last event is not among those kept.
    /// </summary>
    public bool TrySubscribe(string? lastEventId, int capacity, out RelayWatcher? watcher)
    {
        watcher = null;
        lock (_gate)
        {
            if (_closed)
            {
                return false;
            }
            IReadOnlyList<ReadOnlyMemory<byte>> replay;
            if (lastEventId is null || lastEventId == _newest)
            {
                replay = [];
            }
            else if (lastEventId == _keptAfter)
            {
                replay = _kept.Select(kept => kept.Frame).ToList();
            }
            else if (_kept.Any(kept => kept.Id == lastEventId))
            {
                replay = _kept.SkipWhile(kept => kept.Id != lastEventId).Skip(1).Select(kept => kept.Frame).ToList();
            }
            else
            {
                return true;
            }
            watcher = new RelayWatcher(this, lastEventId ?? _newest!, replay, Channel.CreateBounded<ReadOnlyMemory<byte>>(
                new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait }));
            _watchers.Add(watcher);
            metrics.WatcherJoined();
            return true;
        }
    }

    /// <summary>The browser left (its request ended); called once per watcher.</summary>
    public void Unsubscribe(RelayWatcher watcher)
    {
        metrics.WatcherLeft();
        lock (_gate)
        {
            if (_watchers.Remove(watcher) && _watchers.Count == 0)
            {
                _unwatchedSince = time.GetTimestamp();
            }
        }
    }

    /// <summary>Closes the relay if nobody has watched it for <paramref name="linger"/>.</summary>
    public bool TryCloseUnwatched(TimeSpan linger)
    {
        lock (_gate)
        {
            if (_watchers.Count > 0 || time.GetElapsedTime(_unwatchedSince) < linger)
            {
                return false;
            }
        }
        Close();
        return true;
    }

    /// <summary>Stops reading from the API and ends every watcher's stream (they reconnect, and start it again).</summary>
    public void Close()
    {
        lock (_gate)
        {
            _closed = true;
            foreach (var watcher in _watchers)
            {
                watcher.Writer.TryComplete();
            }
            _watchers.Clear();
        }
        _opened.TrySetResult(false);
        _closing.Cancel();
    }

    public void HeartbeatIfQuiet(TimeSpan interval, ReadOnlyMemory<byte> heartbeat)
    {
        lock (_gate)
        {
            if (_watchers.Count > 0 && time.GetElapsedTime(_lastSent) >= interval)
            {
                Send(heartbeat);
            }
        }
    }

    /// <summary>The stream's opening id line: where the relay starts, if it had not started yet.</summary>
    private void Open(string id)
    {
        lock (_gate)
        {
            _newest ??= id;
            _keptAfter ??= id;
        }
        _opened.TrySetResult(true);
    }

    private void Publish(string id, ReadOnlyMemory<byte> frame)
    {
        lock (_gate)
        {
            _newest = id;
            _kept.Enqueue((id, frame));
            if (_kept.Count > options.KeptEvents)
            {
                _keptAfter = _kept.Dequeue().Id;
            }
            Send(frame);
        }
    }

    /// <summary>Queues a frame to every watcher; one whose queue is full is dropped. Called under the lock.</summary>
    private void Send(ReadOnlyMemory<byte> frame)
    {
        _lastSent = time.GetTimestamp();
        for (var i = _watchers.Count - 1; i >= 0; i--)
        {
            if (!_watchers[i].Writer.TryWrite(frame))
            {
                // It cannot keep up: its stream ends, it reconnects with its last event and replays.
                metrics.Dropped();
                _watchers[i].Writer.TryComplete();
                _watchers.RemoveAt(i);
                if (_watchers.Count == 0)
                {
                    _unwatchedSince = _lastSent;
                }
            }
        }
    }

    /// <summary>
    /// Reads the auction's stream from the API until the relay closes: again from its last event, on the next replica,
    /// whenever the stream ends, a replica cannot be reached or one falls silent. Ends (closing the relay) only when
    /// the API refuses the stream.
    /// </summary>
    public async Task RunAsync(ApiForwarder api, ILogger logger, CancellationToken stopping)
    {
        using var running = CancellationTokenSource.CreateLinkedTokenSource(stopping, _closing.Token);
        var ct = running.Token;
        var failures = 0;
        try
        {
            while (true)
            {
                try
                {
                    if (!await ReadAsync(api, ct))
                    {
                        Close();
                        return;
                    }
                    failures = 0;
                }
                catch (Exception e) when (!ct.IsCancellationRequested && e is HttpRequestException or IOException or OperationCanceledException)
                {
                    failures++;
                    _broken = _source;
                    logger.LogInformation("The stream of auction {AuctionId} from the API broke ({Reason}); opening it again after {LastEventId}",
                        auctionId, e.Message, _newest);
                }
                // Straight back after a stream that worked; after failures, wait a little longer each time, up to 2 s.
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2000, failures == 0 ? 0 : 50 << Math.Min(failures, 6))), time, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Closed, or this replica is stopping.
        }
    }

    /// <summary>
    /// Opens the stream on the first replica that answers and relays it until it ends. False when the API refused it.
    /// </summary>
    private async Task<bool> ReadAsync(ApiForwarder api, CancellationToken ct)
    {
        using var silence = CancellationTokenSource.CreateLinkedTokenSource(ct);
        silence.CancelAfter(options.UpstreamSilence);
        var response = await SendAsync(api, silence.Token);
        using (response)
        {
            if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest)
            {
                return false;
            }
            response.EnsureSuccessStatusCode();
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(silence.Token), Encoding.UTF8);
            var frame = new StringBuilder();
            string? id = null;
            var hasData = false;
            while (await reader.ReadLineAsync(silence.Token) is { } line)
            {
                silence.CancelAfter(options.UpstreamSilence);
                if (line.Length == 0)
                {
                    // A frame ends. With data it is an event; an id alone is where the stream opened.
                    if (id is not null && hasData)
                    {
                        Publish(id, Encoding.UTF8.GetBytes(frame.Append('\n').ToString()));
                    }
                    else if (id is not null)
                    {
                        Open(id);
                    }
                    frame.Clear();
                    id = null;
                    hasData = false;
                }
                else if (line[0] != ':')
                {
                    // A comment (the API's heartbeat) is not passed on: the relay sends its own.
                    if (line.StartsWith("id:", StringComparison.Ordinal))
                    {
                        id = line[3..].TrimStart(' ');
                    }
                    hasData |= line.StartsWith("data:", StringComparison.Ordinal);
                    frame.Append(line).Append('\n');
                }
            }
            return true;
        }
    }

    private async Task<HttpResponseMessage> SendAsync(ApiForwarder api, CancellationToken ct)
    {
        // A replica that just broke the stream (it died, or stalled and was given up on) is tried last.
        var destinations = (await api.DestinationsAsync(ct)).OrderBy(destination => destination == _broken).ToList();
        for (var attempt = 0; ; attempt++)
        {
            _source = destinations[attempt];
            var request = new HttpRequestMessage(HttpMethod.Get, new Uri(new Uri(destinations[attempt]), $"auctions/{auctionId}/events"));
            string? resumeFrom;
            lock (_gate)
            {
                resumeFrom = _newest;
            }
            if (resumeFrom is not null)
            {
                request.Headers.Add("Last-Event-ID", resumeFrom);
            }
            try
            {
                return await api.Invoker.SendAsync(request, ct);
            }
            catch (HttpRequestException) when (attempt < destinations.Count - 1)
            {
                // That replica cannot be reached: the next one.
            }
        }
    }
}

/// <summary>A browser watching a relayed auction: where its stream opens, what it missed, and its queue of live frames.</summary>
internal sealed class RelayWatcher(RelayedAuction auction, string opening, IReadOnlyList<ReadOnlyMemory<byte>> replay,
    Channel<ReadOnlyMemory<byte>> frames) : IDisposable
{
    public string Opening => opening;

    public IReadOnlyList<ReadOnlyMemory<byte>> Replay => replay;

    public ChannelReader<ReadOnlyMemory<byte>> Frames => frames.Reader;

    public ChannelWriter<ReadOnlyMemory<byte>> Writer => frames.Writer;

    private int _disposed;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            auction.Unsubscribe(this);
        }
    }
}
