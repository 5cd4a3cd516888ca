using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Q4.Tests.Auctions;
using Q4.Tests.Users;

namespace Q4.Tests.Sync;

/// <summary>
/// Many bidders bidding at once over both API replicas, each on one auction, always a little above the minimum it
/// last heard of, so most bids are accepted and the rest lose a race. Keeps every accepted bid for the checks.
/// </summary>
public sealed class BidStorm(IReadOnlyList<TestUser> bidders, IReadOnlyList<AuctionResponse> auctions)
{
    private int _attempts;

    public ConcurrentBag<BidResponse> Accepted { get; } = [];

    /// <summary>Bid attempts made so far, accepted or not.</summary>
    public int Attempts => Volatile.Read(ref _attempts);

    /// <summary>
    /// Makes <paramref name="total"/> attempts in all, split over the bidders. Before each attempt a bidder awaits
    /// <paramref name="gate"/>(attempt number), which lets a test hold the storm at a point until its chaos has happened.
    /// </summary>
    public Task RunAsync(int total, Func<int, Task>? gate = null)
    {
        var perBidder = total / bidders.Count;
        return Task.WhenAll(bidders.Select((bidder, index) => Task.Run(async () =>
        {
            var auction = auctions[index % auctions.Count];
            var random = new Random(index);
            var minimum = auction.StartingPrice;
            for (var i = 0; i < perBidder; i++)
            {
                var attempt = Interlocked.Increment(ref _attempts);
                if (gate is not null)
                {
                    await gate(attempt);
                }
                var amount = minimum + random.Next(0, 3) * auction.MinIncrement;
                using var response = await bidder.BidAsync(auction.Id, amount, replica: (index + i) % 2);
                if (response.StatusCode == HttpStatusCode.Created)
                {
                    var bid = (await response.Content.ReadFromJsonAsync<BidResponse>(TestContext.Current.CancellationToken))!;
                    Accepted.Add(bid);
                    minimum = bid.Amount + auction.MinIncrement;
                }
                else
                {
                    // Somebody else was faster: the refusal says what would be enough now.
                    var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Conflict, "bid_too_low");
                    minimum = problem.GetProperty("minimumBid").GetInt64();
                }
            }
        }, TestContext.Current.CancellationToken)));
    }
}
