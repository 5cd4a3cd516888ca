using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Npgsql;
using Q4.Hosting;
using Q4.Tests.Hosting;
using Q4.Tests.Sync;

namespace Q4.Tests.Users;

/// <summary>
/// A block must stick on every replica, even when it lands while a replica is filling its cache with the user's
/// row as it was just before. Two API replicas of the test's own (it pauses them) serve a flood of the user's
/// reads while an administrator unblocks and blocks again, many times.
/// </summary>
public sealed class BlockRaceTests(GraphFixture graph)
{
    private const int Cycles = 60;
    private const int ReadersPerReplica = 4;

    /// <summary>The application names of the two replicas' database sessions, to tell them apart in PostgreSQL.</summary>
    private static readonly string[] SessionNames = ["q4-block-race-0", "q4-block-race-1"];

    /// <summary>What a block may take to reach the other replica: one pub/sub hop, with room to spare.</summary>
    private static readonly TimeSpan Propagation = TimeSpan.FromSeconds(1);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private AppHostProcess App => graph.App;

    [Fact]
    public async Task A_block_holds_on_both_replicas_however_it_races_the_users_own_reads()
    {
        await using var first = await StartReplicaAsync(SessionNames[0]);
        await using var second = await StartReplicaAsync(SessionNames[1]);
        ServiceProcess[] replicas = [first, second];
        var adminToken = await App.GetAccessTokenAsync("admin", Cancellation);
        var userToken = Auth.MintedToken.FreshUser(App).Sign(App);
        var id = (await GetMeAsync(first, userToken)).Id;
        await using var holder = await SyncStore.OpenAsync(App);
        await using var observer = await SyncStore.OpenAsync(App);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        Flood[] floods = [new(), new()];
        var readers = Enumerable.Range(0, 2 * ReadersPerReplica)
            .Select(i => floods[i % 2].ReadUntilStoppedAsync(replicas[i % 2], userToken, stop.Token)).ToList();
        var raced = 0;
        var stale = new List<string>();
        try
        {
            for (var cycle = 0; cycle < Cycles; cycle++)
            {
                var (paused, acting) = (cycle % 2, (cycle + 1) % 2);
                await using (var hold = await holder.BeginTransactionAsync(Cancellation))
                {
                    // The unblock empties both caches. The paused replica's readers wait until the test holds the
                    // user's row, so the fill they then set off reads the row only once the test lets go of it.
                    await floods[paused].HoldAsync();
                    await SetBlockedAsync(replicas[acting], adminToken, id, blocked: false);
                    await using (var lockRow = new NpgsqlCommand("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", holder, hold))
                    {
                        lockRow.Parameters.Add(new NpgsqlParameter { Value = id });
                        await lockRow.ExecuteNonQueryAsync(Cancellation);
                    }
                    floods[paused].Release();
                    if (!await IsWaitingForLockAsync(observer, SessionNames[paused]))
                    {
                        continue; // no fill in flight this time: nothing raced
                    }
                    raced++;
                    // Paused, the replica stands for one that has read the row and then waits for a CPU (a GC pause,
                    // a busy machine) while the block commits and is announced; it sees both once it runs again.
                    Assert.True(Signals.Send(replicas[paused].Pid, SyncChaosGraph.SIGSTOP));
                    try
                    {
                        await hold.CommitAsync(Cancellation);
                        await SetBlockedAsync(replicas[acting], adminToken, id, blocked: true);
                    }
                    finally
                    {
                        Signals.Send(replicas[paused].Pid, SyncChaosGraph.SIGCONT);
                    }
                }
                await WhileSomeReplicaSaysActiveAsync(replicas, userToken, Propagation);

                for (var replica = 0; replica < 2; replica++)
                {
                    using var response = await PatchNameAsync(replicas[replica], userToken);
                    if (response.StatusCode != HttpStatusCode.Forbidden)
                    {
                        stale.Add($"cycle {cycle}: the {(replica == paused ? "paused" : "acting")} replica answered {(int)response.StatusCode}");
                    }
                }
            }
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(readers);
        }

        Assert.True(stale.Count == 0,
            $"{stale.Count} of {2 * raced} checks, up to {Propagation.TotalSeconds:F0} s after a block that met a fill in flight " +
            $"({raced} of {Cycles} blocks did), let the user change something:\n{string.Join("\n", stale)}");
        Assert.True(raced >= Cycles / 2, $"only {raced} of {Cycles} blocks met a fill in flight; the test proves little");
        // The checks above are no formality: a blocked user gets exactly the refusal they look for.
        using var refused = await PatchNameAsync(first, userToken);
        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Forbidden, "user_blocked");
    }

    [Fact]
    public async Task A_block_announced_while_a_replica_was_cut_off_from_redis_holds_once_it_is_back()
    {
        await using var replica = await StartReplicaAsync(SessionNames[0]);
        var adminToken = await App.GetAccessTokenAsync("admin", Cancellation);
        var userToken = Auth.MintedToken.FreshUser(App).Sign(App);
        var id = (await GetMeAsync(replica, userToken)).Id; // cached there as active

        // Paused, the replica cannot reconnect before the block is announced, so it surely misses the announcement.
        Assert.True(Signals.Send(replica.Pid, SyncChaosGraph.SIGSTOP));
        int killed;
        try
        {
            killed = await App.RedisAsync(async redis =>
            {
                var server = redis.Multiplexer.GetServers().Single();
                var connections = (await server.ClientListAsync()).Where(client => client.Name == SessionNames[0]).ToList();
                foreach (var connection in connections)
                {
                    await server.ClientKillAsync(id: connection.Id, skipMe: true);
                }
                return connections.Count;
            });
            using var admin = App.CreateAuthenticatedClient("apiservice", adminToken);
            using var block = await admin.PostAsync($"/admin/users/{id}/block", null, Cancellation);
            Assert.Equal(HttpStatusCode.NoContent, block.StatusCode);
        }
        finally
        {
            Signals.Send(replica.Pid, SyncChaosGraph.SIGCONT);
        }
        Assert.True(killed > 0, "the replica had no Redis connection under its name");

        // Once it has reconnected, it reads every user again.
        await WhileSomeReplicaSaysActiveAsync([replica], userToken, TimeSpan.FromSeconds(10));
        using var refused = await PatchNameAsync(replica, userToken);
        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Forbidden, "user_blocked");
    }

    /// <summary>An API replica on the graph's stores whose database sessions and Redis connections carry <paramref name="name"/>.</summary>
    private Task<ServiceProcess> StartReplicaAsync(string name)
    {
        var environment = ServiceProcess.ApiEnvironment(App);
        environment["ConnectionStrings__q4db"] += $";Application Name={name}";
        environment["ConnectionStrings__redis"] += $",name={name}";
        return ServiceProcess.StartAsync(new Projects.Q4_ApiService(), environment, Cancellation);
    }

    /// <summary>
    /// Whether a statement of the replica named <paramref name="name"/> comes to wait for a lock: while the test holds
    /// the user's row, that is its fill (perhaps queued behind the other replica's, which waits for the test).
    /// </summary>
    private static async Task<bool> IsWaitingForLockAsync(NpgsqlConnection observer, string name)
    {
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'", observer);
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        for (var attempt = 0; attempt < 200; attempt++)
        {
            if ((long)(await command.ExecuteScalarAsync(Cancellation))! > 0)
            {
                return true;
            }
            await Task.Delay(10, Cancellation);
        }
        return false;
    }

    /// <summary>
    /// Waits until both replicas say the user is blocked, at most <paramref name="allowance"/>: reading is harmless,
    /// and lets a cycle go on as soon as the block arrived everywhere instead of always waiting the whole allowance.
    /// </summary>
    private static async Task WhileSomeReplicaSaysActiveAsync(ServiceProcess[] replicas, string token, TimeSpan allowance)
    {
        var deadline = DateTime.UtcNow + allowance;
        foreach (var replica in replicas)
        {
            while (!(await GetMeAsync(replica, token)).Blocked && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20, Cancellation);
            }
        }
    }

    private static HttpClient Client(ServiceProcess replica, string token)
    {
        var client = replica.CreateHttpClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static async Task<MeResponse> GetMeAsync(ServiceProcess replica, string token)
    {
        using var client = Client(replica, token);
        return (await client.GetFromJsonAsync<MeResponse>("/me", Cancellation))!;
    }

    private static async Task<HttpResponseMessage> PatchNameAsync(ServiceProcess replica, string token)
    {
        using var client = Client(replica, token);
        return await client.PatchAsJsonAsync("/me", new { name = "Blocked now" }, Cancellation);
    }

    private static async Task SetBlockedAsync(ServiceProcess replica, string adminToken, Guid id, bool blocked)
    {
        using var client = Client(replica, adminToken);
        using var response = await client.PostAsync($"/admin/users/{id}/{(blocked ? "block" : "unblock")}", null, Cancellation);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    /// <summary>The user's reads of one replica, back to back; the test can hold them back for a moment.</summary>
    private sealed class Flood
    {
        private TaskCompletionSource _gate = Open();
        private int _inFlight;

        /// <summary>Lets no further read start, and returns once those under way have their answers.</summary>
        public async Task HoldAsync()
        {
            Interlocked.Exchange(ref _gate, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            while (Volatile.Read(ref _inFlight) > 0)
            {
                await Task.Delay(5, Cancellation);
            }
        }

        public void Release() => Volatile.Read(ref _gate).TrySetResult();

        public async Task ReadUntilStoppedAsync(ServiceProcess replica, string token, CancellationToken stop)
        {
            using var client = Client(replica, token);
            try
            {
                while (true)
                {
                    // Counted before the gate is looked at, so HoldAsync either waits for this read or it never starts.
                    Interlocked.Increment(ref _inFlight);
                    var gate = Volatile.Read(ref _gate).Task;
                    try
                    {
                        if (gate.IsCompleted)
                        {
                            using var response = await client.GetAsync("/me", stop);
                            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                        }
                    }
                    finally
                    {
                        Interlocked.Decrement(ref _inFlight);
                    }
                    await gate.WaitAsync(stop);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        }

        private static TaskCompletionSource Open()
        {
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            gate.SetResult();
            return gate;
        }
    }
}
