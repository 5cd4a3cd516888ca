using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Q4.Tests.Auctions;
using Q4.Tests.Users;

namespace Q4.Tests.Sync;

/// <summary>
/// Bidders bidding steadily over both API replicas while a test breaks a store underneath. Each attempt carries an
/// Idempotency-Key; one that gets no decision (503 while a store is away, a reset connection) is sent again with the same key
/// until the API decides it, as a careful client would. So <see cref="Accepted"/> ends up with every bid the system
/// accepted, also those whose first answer was lost while the script had already run.
/// </summary>
public sealed class SteadyBidding : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _bidding;
    private int _undecided;

    public SteadyBidding(IReadOnlyList<TestUser> bidders, IReadOnlyList<AuctionResponse> auctions, TimeSpan pause)
    {
        _bidding = Task.WhenAll(bidders.Select((bidder, index) => Task.Run(async () =>
        {
            var auction = auctions[index % auctions.Count];
            var minimum = auction.StartingPrice;
            for (var i = 0; !_stop.IsCancellationRequested; i++)
            {
                var key = Guid.NewGuid().ToString();
                var amount = minimum + index % 3 * auction.MinIncrement;
                while (true)
                {
                    var (decided, next) = await TryBidAsync(bidder, auction, amount, key, replica: (index + i) % 2);
                    if (decided)
                    {
                        minimum = next;
                        break;
                    }
                    Interlocked.Increment(ref _undecided);
                    await Task.Delay(200, TestContext.Current.CancellationToken);
                }
                await Task.Delay(pause, TestContext.Current.CancellationToken);
            }
        }, TestContext.Current.CancellationToken)));
    }

    public ConcurrentBag<BidResponse> Accepted { get; } = [];

    /// <summary>Answers that decided nothing (503s, dropped connections), each followed by a retry.</summary>
    public int Undecided => Volatile.Read(ref _undecided);

    /// <summary>Waits until <paramref name="count"/> more bids than now were accepted, or fails after <paramref name="timeout"/>.</summary>
    public async Task WaitForMoreAcceptedAsync(int count, TimeSpan timeout)
    {
        var target = Accepted.Count + count;
        var deadline = DateTime.UtcNow + timeout;
        while (Accepted.Count < target && DateTime.UtcNow < deadline && !_bidding.IsCompleted)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
        if (_bidding.IsFaulted)
        {
            await _bidding; // a bidder met an answer it did not expect: say which
        }
        Assert.True(Accepted.Count >= target, $"only {Accepted.Count} of {target} bids were accepted after {timeout.TotalSeconds:0} s ({Undecided} undecided answers)");
    }

    /// <summary>Lets every attempt in flight be decided, then stops; every bid accepted.</summary>
    public async Task<List<BidResponse>> StopAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
        }
        await _bidding.WaitAsync(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);
        return [.. Accepted];
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private async Task<(bool Decided, long NextMinimum)> TryBidAsync(TestUser bidder, AuctionResponse auction, long amount, string key, int replica)
    {
        try
        {
            using var response = await bidder.BidAsync(auction.Id, amount, key, replica);
            if (response.StatusCode == HttpStatusCode.Created)
            {
                var bid = (await response.Content.ReadFromJsonAsync<BidResponse>(TestContext.Current.CancellationToken))!;
                Accepted.Add(bid);
                return (true, bid.Amount + auction.MinIncrement);
            }
            if (response.StatusCode == HttpStatusCode.Conflict)
            {
                var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Conflict, "bid_too_low");
                return (true, problem.GetProperty("minimumBid").GetInt64());
            }
            // A store that does not answer is a clear 503 that invites the retry, never a bare 500.
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.ServiceUnavailable, "unavailable");
            Assert.NotNull(response.Headers.RetryAfter);
            return (false, 0);
        }
        catch (HttpRequestException)
        {
            return (false, 0);
        }
    }
}
